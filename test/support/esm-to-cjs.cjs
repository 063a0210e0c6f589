/**
 * Jest transform for dependencies published as ESM only but `require`d by CommonJS ones
 * (e.g. @fastify/static → content-disposition). Node 20 loads them through require(esm); Jest
 * on Node < 24.9 cannot, but it lets a transform turn them into CommonJS. Files loaded as ES
 * modules, or without import/export syntax, pass unchanged.
 */
const ts = require('typescript');
const { createHash } = require('node:crypto');

const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s+[\w{*]|export\s+default)/m;

module.exports = {
  process(source, filename, options) {
    if (options.supportsStaticESM || !ESM_SYNTAX.test(source)) return { code: source };
    if (/[\\/]node_modules[\\/]@nestjs[\\/]/.test(filename)) {
      // A second, CommonJS copy of Nest would break instanceof and metadata silently.
      throw new Error(
        `${filename} is required from CommonJS: a CommonJS package depends on Nest 12 (ESM). ` +
          'Use an ESM-ready version of that package.',
      );
    }
    const out = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        allowJs: true,
        esModuleInterop: true,
        sourceMap: false,
      },
    });
    return { code: out.outputText };
  },
  getCacheKey(source, filename, options) {
    return createHash('sha1')
      .update(source)
      .update(filename)
      .update(String(options.supportsStaticESM))
      .update('esm-to-cjs-1')
      .digest('hex');
  },
};
