/* global module, process */
/**
 * puppeteer (under whatsapp-web.js) downloads Chrome on `npm install` unless told not to. The
 * WhatsApp pilot uses the system Chromium instead, so `npm install` / `npm ci` never download a
 * browser. puppeteer reads this file itself; `.npmrc` keys are not read.
 */
module.exports = { skipDownload: true, executablePath: process.env.WHATSAPP_WEB_CHROMIUM_PATH || '/usr/bin/chromium' };
