import { useState, type ReactNode } from 'react';
import { Alert, Button, Flex, Modal, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, call, type Schemas } from '../../api/client';
import { useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { admin } from './messages';

export type Organization = Schemas['OrganizationResponse'];

/**
 * Every organization (a few dozen at most: the Department, the ISPs, the authorities), read
 * page by page: the screens name users' and clients' organizations and offer them in forms.
 */
export function useAllOrganizations() {
  return useQuery({
    queryKey: ['organizations', 'all'],
    queryFn: async () => {
      const all: Organization[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 50; i++) {
        const page = await call(() =>
          api.GET('/api/v1/organizations', {
            params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } },
          }),
        );
        all.push(...page.items);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      return all;
    },
  });
}

/** A success line, announced to screen readers. */
export function Notice({ text }: { text: string | null }) {
  if (!text) return null;
  return <Alert type="success" showIcon role="status" title={text} style={{ marginBottom: 16 }} />;
}

/**
 * A secret the service gives once (a client secret, a temporary password): shown with a copy
 * button and the warning that it will not be shown again.
 */
export function OnceSecret({
  label,
  value,
  warning,
  testId,
  children,
}: {
  label: string;
  value: string;
  warning?: string;
  testId?: string;
  children?: ReactNode;
}) {
  const t = useMessages(admin);
  const [copied, setCopied] = useState<'ok' | 'failed' | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('ok');
    } catch {
      setCopied('failed');
    }
  }
  return (
    <div data-testid={testId}>
      {warning ? (
        <Alert
          type="warning"
          showIcon
          title={warning}
          description={t('shownOnce')}
          style={{ marginBottom: 12 }}
        />
      ) : null}
      <Typography.Text strong id={`${testId ?? 'secret'}-label`}>
        {label}
      </Typography.Text>
      <Flex gap="small" align="center" wrap style={{ marginTop: 4 }}>
        <code
          aria-labelledby={`${testId ?? 'secret'}-label`}
          data-secret
          style={{
            fontSize: 15,
            padding: '4px 8px',
            background: '#f5f5f5',
            border: '1px solid #d9d9d9',
            borderRadius: 4,
            wordBreak: 'break-all',
            userSelect: 'all',
          }}
        >
          {value}
        </code>
        <Button onClick={() => void copy()}>{t('copySecret')}</Button>
      </Flex>
      <div role="status" aria-live="polite" style={{ minHeight: 22, marginTop: 4 }}>
        {copied === 'ok' ? (
          <Typography.Text style={{ color: '#135200' }}>{t('copiedSecret')}</Typography.Text>
        ) : copied === 'failed' ? (
          <Typography.Text style={{ color: '#a8071a' }}>{t('copyFailed')}</Typography.Text>
        ) : null}
      </div>
      {children}
    </div>
  );
}

/**
 * A button that asks first (a modal: title, what will happen, OK / Cancel) and shows the API's
 * problem in the modal when the action fails.
 */
export function ConfirmButton({
  label,
  title,
  content,
  okText,
  danger,
  size,
  onConfirm,
}: {
  label: string;
  title: string;
  content: ReactNode;
  okText?: string;
  danger?: boolean;
  size?: 'small' | 'middle';
  onConfirm: () => Promise<void>;
}) {
  const c = useMessages(common);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setOpen(false);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <Button
        size={size ?? 'small'}
        onClick={() => {
          setError(null);
          setOpen(true);
        }}
      >
        {label}
      </Button>
      <Modal
        open={open}
        title={title}
        okText={okText ?? label}
        cancelText={c('cancel')}
        okButtonProps={{ danger, loading: busy }}
        onOk={() => void confirm()}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <Typography.Paragraph>{content}</Typography.Paragraph>
        {error ? <ProblemAlert error={error} /> : null}
      </Modal>
    </>
  );
}

export { ToneTag } from '../../ui/ToneTag';
