import { useMemo, useState } from 'react';
import { Alert, Checkbox, Flex, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { analyst } from './messages';
import type { CheckOutcome, CheckRow, Verdict } from './values';

const VERDICT_COLOR: Record<Verdict, string> = {
  ok: 'green',
  protected: 'red',
  invalid: 'magenta',
};

/** The summary of a check: how many values, protected, invalid. */
export function CheckSummary({ outcome }: { outcome: CheckOutcome }) {
  const t = useMessages(analyst);
  const total = outcome.values.length;
  const flagged = outcome.protectedCount + outcome.invalidCount;
  return (
    <Alert
      role="status"
      showIcon
      type={flagged > 0 ? 'warning' : 'success'}
      title={t('checkSummary', {
        total,
        protected: outcome.protectedCount,
        invalid: outcome.invalidCount,
        ok: total - flagged,
      })}
    />
  );
}

/**
 * One row per checked value, 50 a page (the table renders one page only, so that a list of
 * 100,000 values stays responsive), optionally only the flagged ones.
 */
export function CheckResults({ outcome }: { outcome: CheckOutcome }) {
  const t = useMessages(analyst);
  const c = useMessages(common);
  const hasFlagged = outcome.protectedCount + outcome.invalidCount > 0;
  const [onlyFlagged, setOnlyFlagged] = useState(hasFlagged);
  const rows = useMemo(
    () => (onlyFlagged ? outcome.rows.filter((r) => r.verdict !== 'ok') : outcome.rows),
    [outcome, onlyFlagged],
  );
  const columns: ColumnsType<CheckRow> = [
    { title: '#', dataIndex: 'key', width: 80, render: (k: number) => k + 1 },
    {
      title: t('canonical'),
      dataIndex: 'value',
      render: (value: string, row) =>
        row.verdict === 'invalid' ? (
          <Typography.Text code>{row.input}</Typography.Text>
        ) : (
          <Typography.Text>{value}</Typography.Text>
        ),
    },
    {
      title: t('type'),
      dataIndex: 'type',
      width: 170,
      render: (type: CheckRow['type'], row) =>
        row.verdict === 'invalid'
          ? '—'
          : row.typeGuessed
            ? t('typeGuess', { type: c(`type_${type}`) })
            : c(`type_${type}`),
    },
    {
      title: t('verdict'),
      dataIndex: 'verdict',
      width: 150,
      render: (verdict: Verdict) => (
        <Tag color={VERDICT_COLOR[verdict]}>{t(`verdict_${verdict}`)}</Tag>
      ),
    },
    {
      title: t('matches'),
      key: 'matches',
      render: (_: unknown, row) =>
        row.verdict === 'protected' ? (
          <ul style={{ margin: 0, paddingInlineStart: 18 }}>
            {row.matches.map((m) => (
              <li key={m.entryId}>
                <strong>{m.listName}</strong>: {m.reason}
              </li>
            ))}
          </ul>
        ) : (
          (row.reason ?? '')
        ),
    },
  ];
  return (
    <Flex vertical gap="small">
      <Checkbox checked={onlyFlagged} onChange={(e) => setOnlyFlagged(e.target.checked)}>
        {t('onlyFlagged')}
      </Checkbox>
      <Table<CheckRow>
        aria-label={t('resultsTable')}
        size="small"
        rowKey="key"
        columns={columns}
        dataSource={rows}
        pagination={{ pageSize: 50, showSizeChanger: false, showQuickJumper: true }}
      />
    </Flex>
  );
}
