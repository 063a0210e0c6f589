import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Flex, Table, Typography } from 'antd';
import { apiUrl, download, type Schemas } from '../../api/client';
import { useFormat, useMessages } from '../../i18n/i18n';
import { response } from './messages';
import { attachmentUploadUrl, pathWith, postFile } from './shared';
import { ProblemAlert } from '../../ui/ProblemAlert';

type Attachment = Schemas['AttachmentResponse'];

/** The media types the API accepts for an attachment, by file extension. */
const TYPES: Record<string, string> = {
  txt: 'text/plain',
  log: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  zip: 'application/zip',
  pcap: 'application/vnd.tcpdump.pcap',
};
const ACCEPT = Object.keys(TYPES)
  .map((e) => `.${e}`)
  .join(',');
/**
 * INCIDENT_ATTACHMENT_MAX_BYTES' default (5 MiB): the service may be set otherwise, and says so
 * with a 413 that is shown as it is.
 */
const MAX_MB = 5;

function typeOf(file: File): string | undefined {
  const ext = file.name.toLowerCase().split('.').pop() ?? '';
  return TYPES[ext] ?? (Object.values(TYPES).includes(file.type) ? file.type : undefined);
}

/** Choose a file and attach it to a report (the body is the file, its type the Content-Type). */
export function AttachmentUpload({ incidentId }: { incidentId: string }) {
  const t = useMessages(response);
  const client = useQueryClient();
  const [file, setFile] = useState<File>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [local, setLocal] = useState<string>();
  const [done, setDone] = useState<string>();
  const inputId = `attach-${incidentId}`;

  const upload = async () => {
    if (!file) return;
    setError(undefined);
    setDone(undefined);
    const type = typeOf(file);
    if (!type) return setLocal(t('attachType', { name: file.name }));
    if (file.size > MAX_MB * 1024 * 1024)
      return setLocal(t('attachTooLarge', { name: file.name, mb: MAX_MB }));
    setLocal(undefined);
    setBusy(true);
    try {
      await postFile<Attachment>(attachmentUploadUrl(incidentId, file.name), file, type);
      setDone(t('attached', { name: file.name }));
      setFile(undefined);
      await client.invalidateQueries({ queryKey: ['incident', incidentId] });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Flex vertical gap="small" style={{ maxWidth: 640 }}>
      <label htmlFor={inputId}>
        <Typography.Text strong>{t('attachFile')}</Typography.Text>
      </label>
      <Typography.Text type="secondary">{t('attachLimits', { mb: MAX_MB })}</Typography.Text>
      <input
        id={inputId}
        key={done ?? 'none'}
        type="file"
        accept={ACCEPT}
        onChange={(e) => {
          setFile(e.target.files?.[0]);
          setLocal(undefined);
        }}
      />
      {local ? <Alert type="error" role="alert" showIcon title={local} /> : null}
      {error ? <ProblemAlert error={error} /> : null}
      {done ? <Alert type="success" role="status" showIcon title={done} /> : null}
      <div>
        <Button disabled={!file} loading={busy} onClick={() => void upload()}>
          {t('attach')}
        </Button>
      </div>
    </Flex>
  );
}

/** A report's attachments, each downloadable with the session's token. */
export function AttachmentList({
  incidentId,
  attachments,
}: {
  incidentId: string;
  attachments: Attachment[];
}) {
  const t = useMessages(response);
  const f = useFormat();
  const [error, setError] = useState<unknown>();
  const get = async (a: Attachment) => {
    setError(undefined);
    try {
      const url = pathWith(apiUrl('/api/v1/incidents/{id}/attachments/{attachmentId}', undefined), {
        id: incidentId,
        attachmentId: a.id,
      });
      await download(url, a.filename);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      {error ? <ProblemAlert error={error} /> : null}
      <Table<Attachment>
        aria-label={t('attachmentsCaption')}
        rowKey="id"
        size="small"
        dataSource={attachments}
        pagination={false}
        columns={[
          { title: t('filename'), dataIndex: 'filename', key: 'filename' },
          { title: t('contentType'), dataIndex: 'contentType', key: 'type' },
          {
            title: t('size'),
            key: 'size',
            align: 'right' as const,
            render: (_: unknown, a: Attachment) => t('sizeBytes', { n: a.sizeBytes }),
          },
          {
            title: t('createdAt'),
            key: 'createdAt',
            render: (_: unknown, a: Attachment) => f.dateTime(a.createdAt),
          },
          {
            title: t('download'),
            key: 'download',
            render: (_: unknown, a: Attachment) => (
              <Button
                size="small"
                aria-label={t('downloadName', { name: a.filename })}
                onClick={() => void get(a)}
              >
                {t('download')}
              </Button>
            ),
          },
        ]}
      />
    </>
  );
}
