/** Links in the console's tables: the theme's primary colour (antd's default link blue is below AA). */
export const LINK_STYLE = { color: '#0b5cad' } as const;
