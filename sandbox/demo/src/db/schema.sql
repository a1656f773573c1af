-- The demo shop's database, made by the postgres image's entrypoint on first start
-- (/docker-entrypoint-initdb.d). orders writes to it.
CREATE TABLE customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL UNIQUE
);

CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers (id),
  product text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO customers (name, email) VALUES
  ('Ada Lovelace', 'ada@example.com'),
  ('Grace Hopper', 'grace@example.com'),
  ('Alan Turing', 'alan@example.com');

INSERT INTO orders (customer_id, product, quantity) VALUES
  (1, 'Espresso cup', 2),
  (2, 'Grinder', 1),
  (3, 'Milk jug', 1);
