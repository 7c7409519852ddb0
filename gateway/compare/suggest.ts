/**
 * Ignore rules suggested from measured noise, and the check that refuses a rule (suggested or proposed
 * by a developer) that is too broad: one that would also hide a field seen unchanged between two legacy
 * answers.
 */
import { coveredByNoise, splitClassKey } from './noise.ts';
import { formatPointer, parsePointer, patternCovers } from './pointer.ts';
import type { NoiseStats, ProposedRule, SuggestedRule, SuggestionCheck } from './types.ts';

/**
 * The narrowest rule for each noisy class a rule can express (JSON pointers and headers), most often
 * seen first; a suggestion the check refuses is left out.
 *
 * @example
 * suggestIgnoreRules({ checks: 20, noisyPaths: [{ classKey: 'body-json /posts/*\/views', count: 20 }], stablePaths: ['body-json /posts/*\/title'] });
 * // [{ kind: 'pointer', target: '/posts/*\/views', classKey: 'body-json /posts/*\/views', count: 20 }]
 */
export function suggestIgnoreRules(noise: NoiseStats): SuggestedRule[] {
  const rules: SuggestedRule[] = [];
  for (const { classKey, count } of [...noise.noisyPaths].sort((x, y) => y.count - x.count)) {
    const { kind, path } = splitClassKey(classKey);
    const rule: ProposedRule | null = kind === 'body-json' ? { kind: 'pointer', target: path } : kind === 'header' ? { kind: 'header', target: path } : null;
    if (rule !== null && checkSuggestion(rule, noise).ok) rules.push({ ...rule, classKey, count });
  }
  return rules;
}

/**
 * Whether a rule may be used: it must cover something seen noisy and hide nothing seen only stable.
 * The reason names the stable field it would hide and the narrower rule(s) to use instead.
 *
 * @example
 * checkSuggestion({ kind: 'pointer', target: '/posts' }, noise);
 * // { ok: false, reason: 'ignoring /posts would also hide /posts/*\/title, which did not change between two
 * //   legacy answers; ignore only what changed: pointer /posts/*\/views' }
 */
export function checkSuggestion(rule: ProposedRule, observed: NoiseStats): SuggestionCheck {
  if (observed.checks === 0) {
    return {
      ok: false,
      reason: `no two legacy answers have been compared for this route yet, so nobody knows whether ${describe(rule)} is noise: let noise checks run (shadow.noise_percent) and ask again`,
    };
  }
  if (rule.kind === 'header') {
    const key = `header ${rule.target.toLowerCase()}`;
    if (observed.noisyPaths.some((n) => n.classKey === key)) return { ok: true };
    if (observed.stablePaths.includes(key))
      return {
        ok: false,
        reason: `header ${rule.target.toLowerCase()} did not change between two legacy answers in ${observed.checks} checks: it is not noise, so a difference there is a real mismatch`,
      };
    return { ok: false, reason: `header ${rule.target.toLowerCase()} was never seen changing between two legacy answers (is it in compare.headers?)` };
  }
  const pattern = parsePointer(rule.target);
  const noisy = observed.noisyPaths
    .map((n) => splitClassKey(n.classKey))
    .filter((n) => n.kind === 'body-json')
    .map((n) => parsePointer(n.path));
  const stable = observed.stablePaths
    .map(splitClassKey)
    .filter((s) => s.kind === 'body-json')
    .map((s) => parsePointer(s.path));
  const hidden = stable.filter((s) => patternCovers(pattern, s) && !coveredByNoise(s, noisy));
  const narrower = noisy.filter((n) => patternCovers(pattern, n)).map((n) => `pointer ${formatPointer(n)}`);
  const what = rule.target || '(the whole body)';
  if (narrower.length === 0) {
    return {
      ok: false,
      reason: `nothing under ${what} was seen changing between two legacy answers in ${observed.checks} checks: it is not noise, so a difference there is a real mismatch`,
    };
  }
  if (hidden.length > 0) {
    const more = hidden.length > 1 ? ` (and ${hidden.length - 1} more)` : '';
    return {
      ok: false,
      reason: `ignoring ${what} would also hide ${formatPointer(hidden[0]!)}${more}, which did not change between two legacy answers; ignore only what changed: ${narrower.join(', ')}`,
    };
  }
  return { ok: true };
}

function describe(rule: ProposedRule): string {
  return rule.kind === 'header' ? `header ${rule.target}` : `pointer ${rule.target}`;
}
