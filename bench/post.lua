-- wrk script: POST the seed's purchase event as JSON.
wrk.method = "POST"
wrk.body = '{"type":"purchase","data":{"product_id":"prod_123","amount":99.99}}'
wrk.headers["Content-Type"] = "application/json"
