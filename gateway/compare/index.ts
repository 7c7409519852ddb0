/**
 * The comparison engine: two answers to one request compared (status, chosen headers, body by content
 * type) after a route's ignore rules; noise measured between two legacy answers; ignore rules suggested
 * from noise and refused when too broad; secrets redacted from samples. Pure: no I/O. docs/comparison.md
 * says what is compared for developers.
 *
 * @example
 * const comparison = compareAnswers(legacyAnswer, tsAnswer, route.compare);
 * const outcome = comparisonOutcome(comparison, noisyClassKeys); // 'match' | 'noise' | 'mismatch'
 */
export { compareAnswers } from './compare.ts';
export { bodyKind, type BodyKind } from './body.ts';
export { noiseBetween, noiseComparison, classifyAgainstNoise, comparisonOutcome, stablePaths, isNoise, MAX_STABLE_PATHS } from './noise.ts';
export { suggestIgnoreRules, checkSuggestion } from './suggest.ts';
export { redactHeaders, redactTarget, redactJsonBody, redactBody, redactRequest, redactResponse, carriesSecret, isSecretHeader, REDACTED, SAMPLE_BODY_CHARS } from './redact.ts';
export { escapeSegment, parsePointer, formatPointer, pointerProblem } from './pointer.ts';
export { MAX_JSON_DEPTH } from './json.ts';
export { MAX_HTML_DEPTH } from './html-tree.ts';
export {
  MAX_DIFFERENCES,
  MAX_PER_CLASS,
  DIFFERENCE_KINDS,
  type Captured,
  type Comparison,
  type CompareSettings,
  type Difference,
  type DifferenceKind,
  type IgnoreRule,
  type NoiseStats,
  type ProposedRule,
  type SuggestedRule,
  type SuggestionCheck,
} from './types.ts';
