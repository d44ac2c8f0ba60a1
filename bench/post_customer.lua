-- wrk script: POST /v1/customers with the form body the Stripe SDKs send.
-- The API key comes from the environment so one script serves both servers.
wrk.method = "POST"
wrk.body = "email=bench%40example.com&name=Bench+Customer"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_API_KEY") or "sk_test_bench")
