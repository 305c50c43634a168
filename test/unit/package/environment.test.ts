import * as assert from 'assert';
import { condaFileFacts, pipRequirementsFacts } from '../../../src/package/environment';
import { UserError } from '../../../src/errors';

describe('package environment files', () => {
  it('finds the inference server and unpinned packages in pip requirements, ignoring comments and options', () => {
    const facts = pipRequirementsFacts(
      ['# serving', '--index-url https://example.invalid/simple', 'azureml_inference_server_http==1.5.1  # pinned', 'numpy>=1.26', 'scikit-learn[alldeps]==1.5.2', ''].join('\r\n'),
    );
    assert.deepStrictEqual(facts, { hasServer: true, unpinned: ['numpy>=1.26'] });
    assert.deepStrictEqual(pipRequirementsFacts('pandas\n'), { hasServer: false, unpinned: ['pandas'] });
  });

  it('reads conda and pip dependencies of a conda file', () => {
    const facts = condaFileFacts(
      ['dependencies:', '  - python=3.11', '  - conda-forge::scipy', '  - pip', '  - pip:', '      - azureml-inference-server-http', '      - requests==2.32.3'].join('\n'),
      'conda.yml',
    );
    assert.deepStrictEqual(facts, { hasServer: true, unpinned: ['conda-forge::scipy', 'azureml-inference-server-http'] });
  });

  it('names condaFile when the conda file is not YAML or has no dependencies', () => {
    for (const text of ['dependencies: [', 'name: x\n']) {
      assert.throws(
        () => condaFileFacts(text, 'conda.yml'),
        (e: unknown) => e instanceof UserError && e.input === 'condaFile' && e.file === 'conda.yml',
      );
    }
  });
});
