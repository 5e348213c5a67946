/**
 * Key spelling between ragged's configs (camelCase, as TF.js' constructor args) and Keras JSON
 * (snake_case, as `model.json` stores it). This folder is the only place snake_case appears.
 *
 * @example
 * snakeKey("recurrentActivation"); // "recurrent_activation"
 * camelKey("batch_input_shape"); // "batchInputShape"
 */

/** `recurrentActivation` → `recurrent_activation`. */
export function snakeKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** `recurrent_activation` → `recurrentActivation`. */
export function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
