/**
 * The channel-agnostic message shapes. Adapters (src/bot/<channel>) translate between a
 * messenger's updates and these; nothing in here knows which messenger is on the other end.
 */

/**
 * What the core needs to know of each messenger: one line per channel. `rank` picks the chat a
 * proactive message goes to when a parent has several and chose none (higher first);
 * `linkable` says a parent can add it to their profile with a link code.
 */
export const CHANNEL_INFO = {
  telegram: { rank: 2, linkable: true },
  local: { rank: 1, linkable: false },
  whatsapp: { rank: 3, linkable: true },
} as const satisfies Record<string, { rank: number; linkable: boolean }>;

export type ChannelName = keyof typeof CHANNEL_INFO;
export const CHANNELS = Object.keys(CHANNEL_INFO) as [ChannelName, ...ChannelName[]];

/** One conversation: a chat on one channel. */
export interface Address {
  channel: ChannelName;
  chatId: string;
}

export const addressKey = (a: Address): string => `${a.channel}:${a.chatId}`;

/** What the person sent, already decoded by the channel's mapper. */
export type InboundContent =
  /** `replyTo`: the messenger's id of our message this one answers (Telegram reply, WhatsApp quote), if any. */
  | { kind: 'text'; text: string; replyTo?: string }
  | { kind: 'command'; command: string; args: string }
  /** A button press; `value` is the flow's own choice value. */
  | { kind: 'choice'; value: string }
  /** A button from an older version of the bot, or data we cannot read. */
  | { kind: 'stale_choice' }
  /**
   * A voice note, photo or file we can keep (only flows that ask for one use it, e.g. a
   * broadcast version; everywhere else it is answered like `unsupported`).
   */
  | { kind: 'media'; media: InboundMedia; caption?: string; replyTo?: string }
  /** Something we cannot read: sticker, video, location, an edit… */
  | { kind: 'unsupported'; what: UnsupportedKind };

export type MediaType = 'voice' | 'photo' | 'document';

/** A file as the messenger announced it: its own reference (Telegram file_id, WhatsApp media id); fetched by the channel's media port. */
export interface InboundMedia {
  type: MediaType;
  ref: string;
  mimeType?: string;
  filename?: string;
  durationSeconds?: number;
  bytes?: number;
}

/** A stored file (table `media`) a message carries: a voice note, a photo or a PDF flyer. */
export interface OutboundMedia {
  mediaId: number;
  type: MediaType;
}

export type UnsupportedKind = 'sticker' | 'photo' | 'voice' | 'video' | 'file' | 'location' | 'contact' | 'edit' | 'other';

export interface InboundMessage {
  address: Address;
  content: InboundContent;
  /** The messenger's language setting (e.g. Telegram `language_code`): a hint, never a decision. */
  languageHint?: string;
  /** The messenger's own id of this update, for de-duplication of redeliveries. */
  externalId?: string;
}

/** A translatable text: an i18n key with parameters. A param may itself be a text. */
export interface Text {
  key: string;
  params?: Record<string, TextParam>;
  /** Render in this language instead of the conversation's (e.g. endonyms in the language menu). */
  lng?: string;
}
export type TextParam = string | number | Text | DateParam;

/** Dates are rendered by Intl in the reader's language, never spelled out in code. */
export type DateParam =
  | { yearMonth: { year: number; month: number } }
  | { monthName: number }
  /** A calendar day ("2027-03-04"), shown with its weekday. */
  | { date: string }
  /** A calendar day without its weekday ("4 maart 2027"), e.g. in /mydata. */
  | { day: string }
  /** An instant shown as a day and time in a time zone (an event's start). */
  | { dateTime: string; timeZone: string };

export interface Choice {
  /**
   * Short, ASCII, stable: it travels as callback data (≤ 56 bytes). For a link (`url`) it is only
   * a stable name (tests, logs): a link never posts anything back to the bot.
   */
  value: string;
  label: Text;
  /** A link button instead of an answer: opens this https address. Channels without link buttons print "label: url". */
  url?: string;
}

/** A link a button may open: https only, no spaces, at most 2,048 characters (Telegram accepts http, https and tg; we send https). */
export function isLinkUrl(url: string): boolean {
  if (url.length > 2048 || !/^https:\/\/[^\s]+$/.test(url)) return false;
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

export interface Attachment {
  filename: string;
  mimeType: string;
  content: string;
}

/** What a flow asks the engine to say. Choices are rows of buttons. */
export interface Reply {
  text: Text;
  choices?: Choice[][];
  attachment?: Attachment;
  /** Holds a one-time secret (an invite token): not kept once sent (see OutboundMessage.secret). */
  secret?: boolean;
  /** A stored voice note, photo or file sent with the text (the text becomes its caption where the messenger allows). */
  media?: OutboundMedia;
}

/**
 * A rendered outbound message. `text` is "mini-HTML": only <b> and <i> tags, with every
 * interpolated value escaped (& < > "). Adapters turn it into their own format.
 */
export interface OutboundMessage {
  text: string;
  /** The language it was rendered in, and its writing direction (for channels that lay out text). */
  lang?: string;
  dir?: 'ltr' | 'rtl';
  choices?: OutboundChoice[][];
  attachment?: Attachment;
  /** Holds a one-time secret (an invite token): its outbox row is deleted when it is finished, so only the token's hash stays in the database. */
  secret?: boolean;
  /** A stored voice note, photo or file (see Reply.media). */
  media?: OutboundMedia;
}

/** A rendered button: `label` is mini-HTML; with `url` it is a link (https), never an answer. */
export interface OutboundChoice {
  label: string;
  value: string;
  url?: string;
}
