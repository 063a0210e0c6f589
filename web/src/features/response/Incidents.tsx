import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { Button, Checkbox, Form, Select, Table, Typography } from 'antd';
import { api, call, type Schemas } from '../../api/client';
import { hasAnyRole, useSession } from '../../auth/useSession';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { response } from './messages';
import {
  DueAt,
  INCIDENT_CATEGORIES,
  INCIDENT_REPORTERS,
  INCIDENT_STATUSES,
  IncidentStatusTag,
  OPEN_INCIDENT,
  SEVERITIES,
  SeverityTag,
  type IncidentCategory,
  type IncidentStatus,
  type Severity,
} from './shared';
import { LINK_STYLE } from '../../ui/links';

type Incident = Schemas['IncidentResponse'];

/**
 * Incident reports: an ISP's or a unit's own (the API scopes them), every report for the
 * Department and auditors. Filters by status, category, severity; a responder's own queue.
 */
export default function Incidents() {
  const t = useMessages(response);
  const f = useFormat();
  const session = useSession();
  const navigate = useNavigate();
  const own = ['isp', 'unit'].includes(session.claims?.org_kind ?? '');
  const responder = hasAnyRole(session, ['responder']);
  const mayReport = hasAnyRole(session, INCIDENT_REPORTERS);
  const [status, setStatus] = useState<IncidentStatus | 'all'>('all');
  const [category, setCategory] = useState<IncidentCategory | 'all'>('all');
  const [severity, setSeverity] = useState<Severity | 'all'>('all');
  const [mine, setMine] = useState(false);
  const pages = useCursorPages();
  const query = useQuery({
    queryKey: ['incidents', status, category, severity, mine, pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/incidents', {
          params: {
            query: {
              limit: 50,
              cursor: pages.cursor,
              status: status === 'all' ? undefined : status,
              category: category === 'all' ? undefined : category,
              severity: severity === 'all' ? undefined : severity,
              assigneeId: mine ? session.claims?.sub : undefined,
            },
          },
        }),
      ),
  });
  const filter =
    <V,>(set: (v: V) => void) =>
    (v: V) => {
      set(v);
      pages.reset();
    };
  const columns = [
    {
      title: t('reference'),
      key: 'reference',
      render: (_: unknown, i: Incident) => (
        <Link to={`/incidents/${i.id}`} style={LINK_STYLE}>
          {i.reference}
        </Link>
      ),
    },
    { title: t('title'), dataIndex: 'title', key: 'title' },
    {
      title: t('category'),
      key: 'category',
      render: (_: unknown, i: Incident) => t(`category_${i.category}`),
    },
    {
      title: t('severity'),
      key: 'severity',
      render: (_: unknown, i: Incident) => <SeverityTag severity={i.severity} />,
    },
    {
      title: t('status'),
      key: 'status',
      render: (_: unknown, i: Incident) => <IncidentStatusTag status={i.status} />,
    },
    {
      title: t('createdAt'),
      key: 'createdAt',
      render: (_: unknown, i: Incident) => f.dateTime(i.createdAt),
    },
    {
      title: t('dueAt'),
      key: 'dueAt',
      render: (_: unknown, i: Incident) => (
        <DueAt at={i.dueAt} overdue={i.overdue} open={OPEN_INCIDENT.includes(i.status)} />
      ),
    },
  ];
  return (
    <Page
      title={t('incidentsTitle')}
      extra={
        mayReport ? (
          <Button type="primary" onClick={() => void navigate('/incidents/new')}>
            {t('newIncident')}
          </Button>
        ) : null
      }
    >
      <Typography.Paragraph type="secondary">
        {own ? t('incidentsLeadOwn') : t('incidentsLeadAll')}
      </Typography.Paragraph>
      <Form layout="inline" style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item label={t('status')} htmlFor="incident-status">
          <Select
            id="incident-status"
            style={{ minWidth: 200 }}
            value={status}
            onChange={filter(setStatus)}
            options={[
              { value: 'all', label: t('allStatuses') },
              ...INCIDENT_STATUSES.map((s) => ({ value: s, label: t(`incident_${s}`) })),
            ]}
          />
        </Form.Item>
        <Form.Item label={t('filterCategory')} htmlFor="incident-category">
          <Select
            id="incident-category"
            style={{ minWidth: 220 }}
            value={category}
            onChange={filter(setCategory)}
            options={[
              { value: 'all', label: t('allCategories') },
              ...INCIDENT_CATEGORIES.map((c) => ({ value: c, label: t(`category_${c}`) })),
            ]}
          />
        </Form.Item>
        <Form.Item label={t('filterSeverity')} htmlFor="incident-severity">
          <Select
            id="incident-severity"
            style={{ minWidth: 160 }}
            value={severity}
            onChange={filter(setSeverity)}
            options={[
              { value: 'all', label: t('allSeverities') },
              ...SEVERITIES.map((s) => ({ value: s, label: t(`severity_${s}`) })),
            ]}
          />
        </Form.Item>
        {responder ? (
          <Form.Item>
            <Checkbox checked={mine} onChange={(e) => filter(setMine)(e.target.checked)}>
              {t('mineOnly')}
            </Checkbox>
          </Form.Item>
        ) : null}
      </Form>
      <QueryState query={query} isEmpty={(d) => d.items.length === 0 && !pages.hasPrevious}>
        {(data) => (
          <>
            <Table<Incident>
              aria-label={t('incidentsCaption')}
              rowKey="id"
              columns={columns}
              dataSource={data.items}
              pagination={false}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
    </Page>
  );
}
