/**
 * Longest-processing-time-first dispatch shared by every sweep on one executor: items join from
 * any number of `run` calls (`reproduce` runs one sweep per experiment on one thread pool) and
 * leave costliest first, ties in arrival order, so the long cells of the last experiment do not
 * start last and leave a core idle at the end. Scheduling only: no record depends on it.
 */
export class CostQueue<T> {
  private readonly items: { item: T; cost: number; seq: number }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(item: T, cost: number): void {
    this.items.push({ item, cost: Number.isFinite(cost) ? cost : 0, seq: this.seq++ });
  }

  /**
   * The costliest item (the earliest among equals) for which `fits` holds, removed; undefined when
   * there is none.
   */
  pop(fits: (item: T) => boolean = () => true): T | undefined {
    let best = -1;
    for (let i = 0; i < this.items.length; i++) {
      const a = this.items[i];
      if (best >= 0) {
        const b = this.items[best];
        if (!(a.cost > b.cost || (a.cost === b.cost && a.seq < b.seq))) continue;
      }
      if (fits(a.item)) best = i;
    }
    if (best < 0) return undefined;
    const [hit] = this.items.splice(best, 1);
    return hit.item;
  }
}
