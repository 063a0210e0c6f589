import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Button, Col, Flex, Form, Input, Row, Select, Table, Tag } from 'antd';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { analyst } from './messages';
import { INDICATOR_STATUSES, INDICATOR_TYPES, TLPS, isoOf } from './values';

type Indicator = Schemas['IndicatorResponse'];
type Filters = {
  valuePrefix?: string;
  type?: Indicator['type'];
  status?: Indicator['status'];
  tlp?: Indicator['tlp'];
  tag?: string;
  createdFrom?: string;
  createdTo?: string;
};

function useIndicators(filters: Filters, cursor: string | undefined) {
  return useQuery({
    queryKey: ['indicators', filters, cursor],
    placeholderData: keepPreviousData,
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/indicators', {
          params: {
            query: {
              limit: 50,
              cursor,
              valuePrefix: filters.valuePrefix || undefined,
              type: filters.type,
              status: filters.status,
              tlp: filters.tlp,
              tag: filters.tag || undefined,
              createdFrom: isoOf(filters.createdFrom),
              createdTo: isoOf(filters.createdTo),
            },
          },
        }),
      ),
  });
}

function SearchForm({ onSearch }: { onSearch: (filters: Filters) => void }) {
  const t = useMessages(analyst);
  const c = useMessages(common);
  const [form] = Form.useForm<Filters>();
  return (
    <Form<Filters>
      form={form}
      layout="vertical"
      aria-label={t('searchForm')}
      onFinish={(values) => onSearch(values)}
    >
      <Row gutter={16}>
        <Col xs={24} md={8}>
          <Form.Item label={t('valuePrefix')} name="valuePrefix">
            <Input allowClear maxLength={2048} />
          </Form.Item>
        </Col>
        <Col xs={12} md={4}>
          <Form.Item label={t('type')} name="type">
            <Select
              allowClear
              options={INDICATOR_TYPES.map((v) => ({ value: v, label: c(`type_${v}`) }))}
            />
          </Form.Item>
        </Col>
        <Col xs={12} md={4}>
          <Form.Item label={t('status')} name="status">
            <Select
              allowClear
              options={INDICATOR_STATUSES.map((v) => ({ value: v, label: t(`indicator_${v}`) }))}
            />
          </Form.Item>
        </Col>
        <Col xs={12} md={4}>
          <Form.Item label={t('tlp')} name="tlp">
            <Select allowClear options={TLPS.map((v) => ({ value: v, label: `TLP:${v}` }))} />
          </Form.Item>
        </Col>
        <Col xs={12} md={4}>
          <Form.Item label={t('tag')} name="tag">
            <Input allowClear maxLength={100} />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item label={t('createdFrom')} name="createdFrom">
            <Input type="datetime-local" />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item label={t('createdTo')} name="createdTo">
            <Input type="datetime-local" />
          </Form.Item>
        </Col>
      </Row>
      <Flex gap="small">
        <Button type="primary" htmlType="submit">
          {c('search')}
        </Button>
        <Button
          onClick={() => {
            form.resetFields();
            onSearch({});
          }}
        >
          {c('reset')}
        </Button>
      </Flex>
    </Form>
  );
}

/** Indicators by value prefix, type, status, TLP, tag and creation time; cursor-paged. */
export default function Indicators() {
  const t = useMessages(analyst);
  const c = useMessages(common);
  const f = useFormat();
  const [filters, setFilters] = useState<Filters>({});
  const pages = useCursorPages();
  const query = useIndicators(filters, pages.cursor);
  return (
    <Page title={t('indicatorsTitle')}>
      <Flex vertical gap="large">
        <SearchForm
          onSearch={(next) => {
            setFilters(next);
            pages.reset();
          }}
        />
        <QueryState query={query}>
          {(data) => (
            <>
              <Table<Indicator>
                aria-label={t('indicatorsTable')}
                size="small"
                rowKey="id"
                dataSource={data.items}
                pagination={false}
                loading={query.isFetching}
                columns={[
                  {
                    title: t('value'),
                    dataIndex: 'value',
                    render: (v: string) => <span style={{ wordBreak: 'break-all' }}>{v}</span>,
                  },
                  {
                    title: t('type'),
                    dataIndex: 'type',
                    render: (v: Indicator['type']) => c(`type_${v}`),
                  },
                  {
                    title: t('status'),
                    dataIndex: 'status',
                    render: (v: Indicator['status']) => t(`indicator_${v}`),
                  },
                  { title: t('tlp'), dataIndex: 'tlp', render: (v: string) => `TLP:${v}` },
                  {
                    title: t('tags'),
                    dataIndex: 'tags',
                    render: (tags: string[]) => tags.map((tag) => <Tag key={tag}>{tag}</Tag>),
                  },
                  { title: t('created'), dataIndex: 'createdAt', render: f.dateTime },
                ]}
              />
              <Pager pages={pages} nextCursor={data.nextCursor} />
            </>
          )}
        </QueryState>
      </Flex>
    </Page>
  );
}
