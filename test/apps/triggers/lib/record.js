const { appendFileSync } = require('node:fs');
const { join } = require('node:path');

/** Appends one JSON line to `$TRIG_OUT/<kind>.jsonl`: how the tests see what ran, and with what. */
function record(kind, data) {
  appendFileSync(join(process.env.TRIG_OUT, `${kind}.jsonl`), `${JSON.stringify({ at: new Date().toISOString(), ...data })}\n`);
}

module.exports = { record };
