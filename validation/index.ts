/**
 * Validation of untrusted input: zod schemas, one error formatter, strict option objects and
 * "did you mean" suggestions.
 * @packageDocumentation
 * @module relief/validation
 */

export {
  checkChoice,
  checkJsonDepth,
  checkOptions,
  choiceMessage,
  fieldPath,
  MAX_JSON_DEPTH,
  type OptionKeys,
  parseJsonText,
  parseWith,
  show,
} from './schema.js';
export { closestName, didYouMean, editDistance, unknownKeyMessage } from './suggest.js';
