// `bundle run`'s parameter flags into run-now's job and task parameters, as the Databricks CLI
// reads them (repeatable, comma-separated, quoted items keep commas) and refuses mixing them.
import { describe, expect, it } from 'vitest';
import { runNowParameters, splitList } from '../../../../core/bundle/run-options';

describe('bundle run parameters', () => {
  it('lists split on commas outside double quotes', () => {
    expect(splitList('a,b')).toEqual(['a', 'b']);
    expect(splitList('"a,b",c')).toEqual(['a,b', 'c']);
    expect(splitList('"say ""hi""",x')).toEqual(['say "hi"', 'x']);
    expect(() => splitList('"open')).toThrow('unterminated quote in ""open"');
  });

  it('task parameters for a job without job parameters, each flag repeatable', () => {
    expect(
      runNowParameters(
        {},
        {
          pythonParams: ['--x,1', '--y'],
          notebookParams: ['a=1,b=x=y', 'c='],
          dbtCommands: ['dbt run'],
          sqlParams: [],
        }
      )
    ).toEqual({
      taskParameters: {
        python_params: ['--x', '1', '--y'],
        notebook_params: { a: '1', b: 'x=y', c: '' },
        dbt_commands: ['dbt run'],
      },
    });
    expect(runNowParameters({}, {})).toEqual({});
  });

  it('job parameters only for a job that defines them; never both; pipelines refused', () => {
    const withParams = { parameters: [{ name: 'catalog', default: 'main' }] };
    expect(runNowParameters(withParams, { params: ['catalog=dev'] })).toEqual({ jobParameters: { catalog: 'dev' } });
    expect(() => runNowParameters(withParams, { pythonParams: ['x'] })).toThrow(
      'the job to run defines job parameters; specifying task parameters is not allowed'
    );
    expect(() => runNowParameters({}, { params: ['catalog=dev'] })).toThrow(
      'the job to run does not define job parameters; specifying job parameters is not allowed'
    );
    expect(() => runNowParameters(withParams, { params: ['catalog'] })).toThrow(
      '--params: expected k=v, found "catalog"'
    );
    expect(() => runNowParameters({}, { pipelineParams: ['full_refresh=true'] })).toThrow(
      '--pipeline-params: durable-jobs runs no pipeline tasks (pipelines are not deployed)'
    );
  });
});
