-- Reads the model dbt built, on the same embedded warehouse.
SELECT customer, total FROM shop.customer_totals ORDER BY total DESC LIMIT 2;
