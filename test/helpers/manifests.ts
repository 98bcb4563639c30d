// Assertions about manifest loading shared by the k8s tests.

import { expect } from 'vitest';
import { formatProblem, ManifestError, type Problem } from '../../src/k8s/load.js';

/** Problems as the command prints them. */
export function messages(problems: Problem[]): string[] {
  return problems.map(formatProblem);
}

/** The ManifestError `fn` throws (the test fails when it throws nothing or something else). */
export function thrown(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return e as ManifestError;
  }
  throw new Error('expected a ManifestError');
}
