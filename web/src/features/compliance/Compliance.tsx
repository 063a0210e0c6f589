import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function Compliance() {
  return <Page title="Compliance">…</Page>;
}
