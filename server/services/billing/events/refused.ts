/** An event Lathe will not act on (unknown organization or pack, an amount that does not match the pack): recorded, logged, answered 400. */
export class RefusedEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedEvent';
  }
}
