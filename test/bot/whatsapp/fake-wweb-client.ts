/**
 * A fake whatsapp-web.js session with the surface of our WhatsAppWebTransport: an
 * EventEmitter that records what the bot sends and lets a test play the phone (qr, ready,
 * disconnected, incoming messages, acks) and make sends fail.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Attachment } from '../../../src/core/messages.js';
import type { WhatsAppWebEvents, WhatsAppWebFile, WhatsAppWebMediaKind, WhatsAppWebMessage, WhatsAppWebTransport } from '../../../src/bot/whatsapp/web/whatsapp-web.transport.js';

export interface FakeSent {
  id: string;
  chatId: string;
  text: string;
  file?: Attachment;
  /** A stored voice note, photo or document sent with sendMedia (`text` is its caption). */
  media?: { as: WhatsAppWebMediaKind; mimeType: string; bytes: number; filename?: string; sha: string };
  /** Typing states sent to this chat before this message (since the previous one). */
  typedBefore: number;
  /** The injected clock's time when it was sent (ms). */
  at: number;
}

export class FakeWwebClient extends EventEmitter<WhatsAppWebEvents> implements WhatsAppWebTransport {
  readonly sent: FakeSent[] = [];
  readonly typing: string[] = [];
  initializeCalls = 0;
  destroyCalls = 0;
  readyCalls = 0;
  /** initialize() rejects this many more times. */
  failInitialize = 0;
  /** Emit `ready` by itself when initialize() is called (a linked session). */
  autoReady = false;
  private failures: { error: Error; times: number }[] = [];
  private seq = 0;
  private typedSince = new Map<string, number>();
  private connected = false;
  /** Files of received media messages, by message id (what downloadMedia returns). */
  private readonly files = new Map<string, WhatsAppWebFile>();
  downloadCalls = 0;

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  // ---- the transport surface ------------------------------------------------------------

  async initialize(): Promise<void> {
    this.initializeCalls++;
    if (this.failInitialize > 0) {
      this.failInitialize--;
      throw new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com');
    }
    if (this.autoReady) setImmediate(() => this.ready());
  }

  async sendMessage(chatId: string, text: string): Promise<{ id: string }> {
    return this.record(chatId, text);
  }

  async sendDocument(chatId: string, file: Attachment): Promise<{ id: string }> {
    return this.record(chatId, '', file);
  }

  /** Checks what whatsapp-web.js would refuse or garble: no bytes, audio that is not audio, a photo that is not an image, audio with a caption. */
  async sendMedia(chatId: string, file: WhatsAppWebFile, as: WhatsAppWebMediaKind, caption?: string): Promise<{ id: string }> {
    if (!Buffer.isBuffer(file.data) || file.data.length === 0) throw new Error('Evaluation failed: media data is empty');
    if ((as === 'voice' || as === 'audio') && !file.mimeType.startsWith('audio/')) throw new Error(`Evaluation failed: ${file.mimeType} cannot be sent as ${as}`);
    if (as === 'photo' && !file.mimeType.startsWith('image/')) throw new Error(`Evaluation failed: ${file.mimeType} cannot be sent as a photo`);
    if ((as === 'voice' || as === 'audio') && caption) throw new Error('Evaluation failed: audio has no caption');
    if ((caption?.length ?? 0) > 1024) throw new Error('Evaluation failed: caption too long');
    const sha = createHash('sha256').update(file.data).digest('hex');
    return this.record(chatId, caption ?? '', undefined, { as, mimeType: file.mimeType, bytes: file.data.length, sha, ...(file.filename ? { filename: file.filename } : {}) });
  }

  async downloadMedia(messageId: string): Promise<WhatsAppWebFile | null> {
    this.downloadCalls++;
    if (!this.connected) throw new Error('Protocol error (Runtime.callFunctionOn): Session closed.');
    return this.files.get(messageId) ?? null;
  }

  async sendTyping(chatId: string): Promise<void> {
    this.typing.push(chatId);
    this.typedSince.set(chatId, (this.typedSince.get(chatId) ?? 0) + 1);
  }

  async getState(): Promise<string | null> {
    return this.connected ? 'CONNECTED' : null;
  }

  async destroy(): Promise<void> {
    this.destroyCalls++;
    this.connected = false;
  }

  // ---- playing the phone ------------------------------------------------------------------

  qr(code = `2@fake-qr-${this.initializeCalls}`): void {
    this.emit('qr', code);
  }

  ready(): void {
    this.readyCalls++;
    this.connected = true;
    this.emit('ready');
  }

  disconnect(reason = 'NAVIGATION'): void {
    this.connected = false;
    this.emit('disconnected', reason);
  }

  ack(id: string, ack: number): void {
    this.emit('message_ack', id, ack);
  }

  /** An incoming message from `from` ("31612345678@c.us"). Returns its id. */
  receive(from: string, body: string, extra: Partial<WhatsAppWebMessage> = {}): string {
    const message: WhatsAppWebMessage = { id: `false_${from}_IN${++this.seq}`, from, body, type: 'chat', fromMe: false, isStatus: false, ...extra };
    this.emit('message', message);
    return message.id;
  }

  /**
   * An incoming voice note ('ptt'), audio, photo ('image') or document with its file, as the
   * transport announces it (downloadMedia returns the bytes). Returns its id.
   */
  receiveMedia(from: string, type: 'ptt' | 'audio' | 'image' | 'document', file: WhatsAppWebFile, extra: Partial<WhatsAppWebMessage> = {}): string {
    const id = `false_${from}_IN${++this.seq}`;
    this.files.set(id, file);
    const media = { mimeType: file.mimeType, bytes: file.data.length, ...(file.filename ? { filename: file.filename } : {}) };
    this.emit('message', { id, from, body: '', type, fromMe: false, isStatus: false, media, ...extra });
    return id;
  }

  /** The next `times` sends throw `error`. */
  failSends(error: Error, times = 1): void {
    this.failures.push({ error, times });
  }

  sentTo(chatId: string): FakeSent[] {
    return this.sent.filter((s) => s.chatId === chatId);
  }

  private record(chatId: string, text: string, file?: Attachment, media?: FakeSent['media']): { id: string } {
    const failure = this.failures[0];
    if (failure) {
      if (--failure.times <= 0) this.failures.shift();
      throw failure.error;
    }
    if (!this.connected) throw new Error('Protocol error (Runtime.callFunctionOn): Session closed.');
    const id = `true_${chatId}_OUT${++this.seq}`;
    this.sent.push({ id, chatId, text, ...(file ? { file } : {}), ...(media ? { media } : {}), typedBefore: this.typedSince.get(chatId) ?? 0, at: this.now() });
    this.typedSince.set(chatId, 0);
    return { id };
  }
}
