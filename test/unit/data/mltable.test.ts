import * as assert from 'assert';
import { parseMlTable } from '../../../src/data/mltable';
import { globToRegExp } from '../../../src/data/sources';

describe('MLTable files', () => {
  it('reads the paths and the read_delimited settings, and names the transformations it does not apply', () => {
    const spec = parseMlTable(
      [
        '$schema: https://azuremlschemas.azureedge.net/latest/MLTable.schema.json',
        'type: mltable',
        'paths:',
        '  - file: ./train.csv',
        '  - folder: ./more',
        '  - pattern: ./parts/*.csv',
        'transformations:',
        '  - read_delimited:',
        "      delimiter: ';'",
        '      header: no_header',
        '      encoding: iso88591',
        '      empty_as_string: false',
        '  - take: 100',
        '  - drop_columns: [a]',
      ].join('\n'),
      'the MLTable',
    );
    assert.deepStrictEqual(spec.paths, [
      { kind: 'file', value: './train.csv' },
      { kind: 'folder', value: './more' },
      { kind: 'pattern', value: './parts/*.csv' },
    ]);
    assert.deepStrictEqual(spec.read, { format: 'csv', delimiter: ';', header: false, encoding: 'latin1' });
    assert.deepStrictEqual(spec.ignored, ['take', 'drop_columns']);
  });

  it('defaults read_delimited to commas, a header in every file and UTF-8; reads Parquet and JSON Lines; may have no read at all', () => {
    assert.deepStrictEqual(parseMlTable('paths: [{file: a.csv}]\ntransformations: [{read_delimited: {}}]', 'm').read, { format: 'csv', delimiter: ',', header: true, encoding: 'utf8' });
    assert.deepStrictEqual(parseMlTable('paths: [{folder: ./}]\ntransformations:\n  - read_parquet:\n      include_path_column: false', 'm').read, { format: 'parquet' });
    assert.deepStrictEqual(parseMlTable("paths: [{file: a.jsonl}]\ntransformations: [{read_json_lines: {encoding: utf8, invalid_lines: 'error'}}]", 'm').read, { format: 'jsonl', encoding: 'utf8' });
    assert.deepStrictEqual(parseMlTable('paths: [{file: a.csv}]', 'm'), { paths: [{ kind: 'file', value: 'a.csv' }], read: undefined, ignored: [] });
  });

  it('refuses what it cannot read, saying what to do', () => {
    const refuses = (text: string, message: RegExp) => assert.throws(() => parseMlTable(text, 'The MLTable'), (e: Error) => e.name === 'UserError' && message.test(e.message));
    refuses('type: mltable', /The MLTable has no paths: list the files it reads/);
    refuses('paths: [{url: x}]', /paths entry 1 is not a file, folder or pattern/);
    refuses('paths: [{file: a.csv}]\ntransformations: [{read_delimited: {header: from_first_file}}]', /from_first_file .*all_files_same_headers.*no_header/);
    refuses('paths: [{file: a.csv}]\ntransformations: [{read_delimited: {delimiter: "::"}}]', /delimiter '::' is not one character/);
    refuses('paths: [{file: a.csv}]\ntransformations: [{read_delimited: {encoding: utf32}}]', /the encoding 'utf32' is not one DataValidate reads/);
    refuses('paths: [{folder: ./}]\ntransformations: [{read_delta_lake: {timestamp_as_of: x}}]', /Delta Lake/);
    refuses('paths: [', /is not valid YAML/);
  });

  it('matches MLTable patterns with character classes, case-sensitively for blob names', () => {
    const re = globToRegExp('data/part-[0-9][!x].csv', { classes: true, caseSensitive: true });
    assert.ok(re.test('data/part-1a.csv'));
    assert.ok(!re.test('data/part-1x.csv'));
    assert.ok(!re.test('data/part-a1.csv'));
    assert.ok(!globToRegExp('data/*.CSV', { caseSensitive: true }).test('data/a.csv'));
    // Without classes, '[' is a character of the name, as local paths have it.
    assert.ok(globToRegExp('d[1]/*.csv').test('d[1]/a.csv'));
  });
});
