import { Alert, Button } from 'antd';
import { problemOf } from '../api/problem';
import { common } from '../i18n/messages';
import { useMessages } from '../i18n/i18n';

/** An error as the API stated it: the problem's title, its detail, and the fields it names. */
export function ProblemAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const t = useMessages(common);
  const { status, problem } = problemOf(error);
  const title = status === 0 ? t('networkError') : (problem.title ?? t('errorTitle'));
  const named = problem['invalid-params'] ?? problem.errors;
  const fields = (Array.isArray(named) ? named : []).filter((e) => e.reason);
  return (
    <Alert
      type="error"
      role="alert"
      showIcon
      title={title}
      description={
        <>
          {problem.detail ? <div>{problem.detail}</div> : null}
          {fields.length > 0 ? (
            <ul>
              {fields.slice(0, 50).map((e, i) => (
                <li key={i}>{e.name ? `${e.name}: ${e.reason}` : e.reason}</li>
              ))}
            </ul>
          ) : null}
        </>
      }
      action={
        onRetry ? (
          <Button size="small" onClick={onRetry}>
            {t('retry')}
          </Button>
        ) : undefined
      }
    />
  );
}
