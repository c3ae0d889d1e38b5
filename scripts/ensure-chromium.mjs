// Runs before `npm test`: the browser test needs a system Chromium (npm never downloads a
// browser here). On a Debian machine where we are root it installs Debian's package; anywhere
// else it says what to install and where to point CHROMIUM_PATH.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean);
if (candidates.some((p) => existsSync(p))) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && existsSync('/usr/bin/apt-get')) {
  process.stderr.write('Chromium not found: installing Debian package "chromium" for the browser test…\n');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  process.exit(0);
}
process.stderr.write('The browser test needs Chromium. Install it (Debian: "sudo apt-get install chromium") or set CHROMIUM_PATH.\n');
process.exit(1);
