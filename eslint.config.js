// Flat config: typescript-eslint with type information, so promise misuse is caught, not just syntax.
import eslint from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'build/', 'node_modules/', 'simulator/node_modules/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        // One program for everything: source, simulator, tests, scripts and bench.
        project: './tsconfig.all.json',
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // async functions without await are kept where an interface or a caller expects a promise.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }]
    }
  },
  {
    // One seam to the runner: only toolkit/actions.ts talks to @actions/core; everything else gets a Toolkit (or its Log).
    files: ['src/**/*.ts'],
    ignores: ['src/toolkit/actions.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@actions/core', message: 'Take the Toolkit (or its Log) as a parameter: only src/toolkit/actions.ts imports @actions/core.' }] }
      ]
    }
  },
  {
    files: ['simulator/src/**/*.ts'],
    rules: {
      // Status is a const enum of QRS's numeric codes, compared with the numbers stored in the state.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // Filter and orderby values are JSON scalars by the time they are compared as text.
      '@typescript-eslint/no-base-to-string': 'off'
    }
  },
  {
    // Tests read JSON answers and poke at fakes: the any-checks would only add casts.
    files: ['__tests__/**/*.ts', 'simulator/__tests__/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      // expect(obj.method).toHaveBeenCalled() style checks.
      '@typescript-eslint/unbound-method': 'off'
    }
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked
  }
)
