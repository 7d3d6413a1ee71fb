-- Silver: clean, deduplicate (latest update per customer) and upsert into customers_silver.
-- Runs on the embedded DuckDB warehouse; relative paths resolve next to this file.
CREATE TABLE IF NOT EXISTS customers_silver (
  customer_id INTEGER PRIMARY KEY,
  name VARCHAR,
  email VARCHAR,
  country VARCHAR,
  signup_date DATE,
  updated_at TIMESTAMP
);

CREATE OR REPLACE TEMP TABLE customers_updates AS
SELECT customer_id, name, lower(email) AS email, country, signup_date, updated_at
FROM (
  SELECT
    CAST(customer_id AS INTEGER) AS customer_id, name, email, country,
    CAST(signup_date AS DATE) AS signup_date, CAST(updated_at AS TIMESTAMP) AS updated_at,
    row_number() OVER (PARTITION BY customer_id ORDER BY updated_at DESC) AS rn
  FROM read_csv('_output/bronze/customers.csv', header = true, all_varchar = true)
  WHERE customer_id IS NOT NULL AND customer_id <> ''
)
WHERE rn = 1;

MERGE INTO customers_silver
USING customers_updates AS updates
ON customers_silver.customer_id = updates.customer_id
WHEN MATCHED THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *;

SELECT count(*) AS silver_customers FROM customers_silver;
