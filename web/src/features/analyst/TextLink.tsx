import type { ReactNode } from 'react';
import { Link } from 'react-router';

/**
 * A link in the theme's primary colour: antd's default link colour (#1677ff) is under WCAG AA
 * contrast on white (4.1:1). The theme could set `colorLink` for every screen instead.
 */
export function TextLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Link to={to} style={{ color: '#0b5cad' }}>
      {children}
    </Link>
  );
}
