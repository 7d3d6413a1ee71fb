SELECT 'from git' AS source, 42 AS answer;
