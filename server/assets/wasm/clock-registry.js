// The clock registry of hwf-license-wasm (src/clock.rs): each validator's JS clock function by
// the validator's numeric id, and why its last reading failed. Kept on the JavaScript side since
// the module is no_std and holds no JS value in a Rust static. Internal to the package.

const slots = new Map();

/** Registers `func` as the clock of validator `id`. */
export function clockRegister(id, func) {
  slots.set(id, { func, failure: undefined });
}

/** Forgets validator `id`'s clock. */
export function clockForget(id) {
  slots.delete(id);
}

/** Validator `id`'s clock function, or undefined. */
export function clockFunction(id) {
  return slots.get(id)?.func;
}

/** Records why validator `id`'s clock failed (undefined clears it). */
export function clockSetFailure(id, failure) {
  const slot = slots.get(id);
  if (slot) slot.failure = failure;
}

/** Why validator `id`'s clock failed since the last call, or undefined; clears it. */
export function clockTakeFailure(id) {
  const slot = slots.get(id);
  if (!slot) return undefined;
  const failure = slot.failure;
  slot.failure = undefined;
  return failure;
}
