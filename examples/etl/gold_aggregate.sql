-- Gold: customers per country, rebuilt from silver and exported for downstream consumers.
CREATE OR REPLACE TABLE customers_by_country AS
SELECT country, count(*) AS customers, max(updated_at) AS last_update
FROM customers_silver
GROUP BY country
ORDER BY customers DESC, country;

COPY customers_by_country TO '_output/customers_by_country.csv' (HEADER, DELIMITER ',');

SELECT * FROM customers_by_country;
