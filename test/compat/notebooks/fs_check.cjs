// A Node task: the same dbutils.fs as Python's, checked against what its principal may reach.
'use strict';
const { dbutils } = globalThis;
(async () => {
  await dbutils.fs.put('/Volumes/main/default/reports/node/from-node.txt', 'node', true);
  const listed = await dbutils.fs.ls('/Volumes/main/default/reports/node');
  console.log('node listing:', listed.map((f) => `${f.path} ${f.name} ${f.size}`).join(', '));
  try {
    await dbutils.fs.ls('/Workspace/Users/bob@example.com');
    console.log('node listed bob’s home');
  } catch (err) {
    console.log('node refused:', err.message);
  }
})();
