export { installConsole, consoleCsp, CONSOLE_DIR } from '#src/app/console/console.js';
