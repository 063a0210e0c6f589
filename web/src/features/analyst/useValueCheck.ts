import { useCallback, useRef, useState } from 'react';
import { checkValues, parseValues, type CheckOutcome } from './values';

/**
 * Checking a pasted list against the protected lists: the outcome of the last check, the text
 * it was made for (so that a changed text can be told apart), progress and error.
 */
export function useValueCheck() {
  const [outcome, setOutcome] = useState<CheckOutcome | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const checkedText = useRef<string | null>(null);

  const run = useCallback(async (text: string): Promise<CheckOutcome | null> => {
    const values = parseValues(text);
    setError(null);
    if (values.length === 0) {
      setOutcome(null);
      checkedText.current = text;
      return { id: Date.now(), values, rows: [], protectedCount: 0, invalidCount: 0 };
    }
    setProgress({ done: 0, total: values.length });
    try {
      const result = await checkValues(values, (done) =>
        setProgress({ done, total: values.length }),
      );
      setOutcome(result);
      checkedText.current = text;
      return result;
    } catch (e) {
      setError(e);
      return null;
    } finally {
      setProgress(null);
    }
  }, []);

  const clear = useCallback(() => {
    setOutcome(null);
    checkedText.current = null;
  }, []);

  /** Adopts an outcome for a text (the same values less some: no need to check again). */
  const adopt = useCallback((text: string, next: CheckOutcome) => {
    setOutcome(next);
    checkedText.current = text;
  }, []);

  /** The last outcome if it was made for this very text. */
  const outcomeFor = useCallback(
    (text: string) => (checkedText.current === text ? outcome : null),
    [outcome],
  );

  return { outcome, progress, error, run, clear, adopt, outcomeFor, busy: progress !== null };
}
