import type { ReactNode } from 'react';
import { Empty, Skeleton } from 'antd';
import type { UseQueryResult } from '@tanstack/react-query';
import { common } from '../i18n/messages';
import { useMessages } from '../i18n/i18n';
import { ProblemAlert } from './ProblemAlert';

/**
 * The three states every screen has before its content: loading (a skeleton, announced),
 * error (the API's problem, with a retry) and empty (`isEmpty` of the data).
 */
export function QueryState<T>({
  query,
  isEmpty,
  empty,
  children,
}: {
  query: UseQueryResult<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const t = useMessages(common);
  if (query.isPending) {
    return (
      <div aria-busy="true" aria-live="polite">
        <span className="visually-hidden">{t('loading')}</span>
        <Skeleton active />
      </div>
    );
  }
  if (query.isError)
    return <ProblemAlert error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <>{empty ?? <Empty description={t('empty')} />}</>;
  return <>{children(query.data)}</>;
}
