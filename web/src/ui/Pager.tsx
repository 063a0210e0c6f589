import { Button, Flex } from 'antd';
import { common } from '../i18n/messages';
import { useMessages } from '../i18n/i18n';
import type { useCursorPages } from './cursor';

/** Previous / next for a cursor-paged list. */
export function Pager({
  pages,
  nextCursor,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null | undefined;
}) {
  const t = useMessages(common);
  return (
    <Flex gap="small" justify="end" style={{ marginTop: 12 }}>
      <Button disabled={!pages.hasPrevious} onClick={pages.previous}>
        {t('previous')}
      </Button>
      <Button disabled={!nextCursor} onClick={() => pages.next(nextCursor)}>
        {t('next')}
      </Button>
    </Flex>
  );
}
