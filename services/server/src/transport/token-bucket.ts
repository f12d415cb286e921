/** A token bucket: `rate` tokens per second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly rate: number, private readonly burst: number, now: number) {
    this.tokens = burst;
    this.last = now;
  }

  /** Take one token; false (and nothing taken) when the bucket is empty. */
  take(now: number): boolean {
    return this.takeCost(1, now);
  }

  /**
   * Take `cost` tokens; false (and nothing taken) when fewer are saved up. A cost above the
   * burst is taken from a full bucket and leaves it in debt, refilled at `rate` before anything
   * else passes: dear requests stay possible, at their price.
   */
  takeCost(cost: number, now: number): boolean {
    // A clock stepping back refills nothing.
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) / 1000) * this.rate);
    this.last = Math.max(this.last, now);
    if (cost <= 0) return true;
    if (this.tokens < Math.min(cost, this.burst)) return false;
    this.tokens -= cost;
    return true;
  }
}
