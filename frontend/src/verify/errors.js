// The one way a certificate text fails to be a certificate, as codec.Malformed in
// the Python reference (src/corridor/amnesty/codec.py): the verdict "malformed".

export class Malformed extends Error {
  constructor(message) {
    super(message);
    this.name = 'Malformed';
  }
}
