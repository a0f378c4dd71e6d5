/**
 * Ordered, asynchronous delivery of one client's updates and responses, the way tdl hands them
 * over: strictly in order, each in its own turn of the event loop. After a response settles the
 * drain yields, so the code awaiting that response runs before any later update arrives.
 */
import type * as Td from 'tdlib-types';

type Item = { readonly kind: 'update'; readonly update: Td.Update; readonly seq: number | null } | { readonly kind: 'settle'; readonly settle: () => void };

export class OrderedDelivery {
  private items: Item[] = [];
  private head = 0;
  private scheduled = false;
  private stopped = false;
  private readonly onUpdate: (update: Td.Update, seq: number | null) => void;

  constructor(onUpdate: (update: Td.Update, seq: number | null) => void) {
    this.onUpdate = onUpdate;
  }

  update(update: Td.Update, seq: number | null = null): void {
    this.push({ kind: 'update', update, seq });
  }

  settle(settle: () => void): void {
    this.push({ kind: 'settle', settle });
  }

  /** Nothing queued or later pushed is delivered any more. */
  stop(): void {
    this.stopped = true;
    this.items = [];
    this.head = 0;
  }

  get pending(): number {
    return this.items.length - this.head;
  }

  private push(item: Item): void {
    if (this.stopped) return;
    this.items.push(item);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    while (!this.stopped && this.head < this.items.length) {
      const item = this.items[this.head++] as Item;
      if (item.kind === 'update') {
        this.onUpdate(item.update, item.seq);
      } else {
        item.settle();
        this.compact();
        this.schedule();
        return;
      }
    }
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 || this.head === this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
