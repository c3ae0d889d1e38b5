/**
 * A fake whatsapp-web.js session with the surface of our WhatsAppWebTransport: an
 * EventEmitter that records what the bot sends and lets a test play the phone (qr, ready,
 * disconnected, incoming messages, acks) and make sends fail.
 */
import { EventEmitter } from 'node:events';
import type { Attachment } from '../../../src/core/messages.js';
import type { WhatsAppWebEvents, WhatsAppWebMessage, WhatsAppWebTransport } from '../../../src/bot/whatsapp/web/whatsapp-web.transport.js';

export interface FakeSent {
  id: string;
  chatId: string;
  text: string;
  file?: Attachment;
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

  /** The next `times` sends throw `error`. */
  failSends(error: Error, times = 1): void {
    this.failures.push({ error, times });
  }

  sentTo(chatId: string): FakeSent[] {
    return this.sent.filter((s) => s.chatId === chatId);
  }

  private record(chatId: string, text: string, file?: Attachment): { id: string } {
    const failure = this.failures[0];
    if (failure) {
      if (--failure.times <= 0) this.failures.shift();
      throw failure.error;
    }
    if (!this.connected) throw new Error('Protocol error (Runtime.callFunctionOn): Session closed.');
    const id = `true_${chatId}_OUT${++this.seq}`;
    this.sent.push({ id, chatId, text, ...(file ? { file } : {}), typedBefore: this.typedSince.get(chatId) ?? 0, at: this.now() });
    this.typedSince.set(chatId, 0);
    return { id };
  }
}
