import type { ReactNode } from 'react';
import { Link } from 'react-router';

/** A link in the theme's link colour (web/src/app/App.tsx: AA contrast on white). */
export function TextLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Link to={to} style={{ color: '#0b5cad' }}>
      {children}
    </Link>
  );
}
