/**
 * A first-in first-out queue over an array with a moving head: O(1) push and shift without Array#shift's copying.
 * The engine's deadlines (connect timeout, settle, expect timeout, reconnect delay) are each a constant added to
 * an increasing time, so each deadline list is already sorted in arrival order and a FIFO is all it needs.
 */
export class FifoQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let the GC take it
    this.head++;
    // Compact once the dead prefix dominates, so memory follows the live length.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
