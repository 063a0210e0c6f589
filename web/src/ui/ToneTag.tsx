import type { ReactNode } from 'react';
import { Tag } from 'antd';

/**
 * Tag colours dark enough on their light background for WCAG AA (4.5:1, also on a hovered
 * row): antd's preset gold, orange, green and cyan tags are not.
 */
const TONES = {
  neutral: { color: '#262626', background: '#fafafa', borderColor: '#d9d9d9' },
  info: { color: '#003eb3', background: '#e6f4ff', borderColor: '#91caff' },
  success: { color: '#135200', background: '#f6ffed', borderColor: '#b7eb8f' },
  warning: { color: '#613400', background: '#fffbe6', borderColor: '#ffe58f' },
  caution: { color: '#871400', background: '#fff2e8', borderColor: '#ffbb96' },
  danger: { color: '#a8071a', background: '#fff1f0', borderColor: '#ffa39e' },
  teal: { color: '#00474f', background: '#e6fffb', borderColor: '#87e8de' },
  other: { color: '#391085', background: '#f9f0ff', borderColor: '#d3adf7' },
} as const;

export type Tone = keyof typeof TONES;

export function ToneTag({
  tone,
  title,
  children,
}: {
  tone: Tone;
  title?: string;
  children: ReactNode;
}) {
  return (
    <Tag style={TONES[tone]} title={title}>
      {children}
    </Tag>
  );
}
