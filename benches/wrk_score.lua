-- POST one 16-field lead (explain=false), for a wrk cross-check of benches/serve_load.sh:
--   taskset -c 1 wrk -t1 -c16 -d8s --latency -s benches/wrk_score.lua http://127.0.0.1:18080/v1/leads/score
-- (the server started as in serve_load.sh, on core 0, with LEADCAST_API_KEYS="bench:admin:bench-key").
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-key"
wrk.body = '{"lead":{"lead_id":"L-1","source":"referral","industry":"manufacturing","company_size":"201-1000","region":"east","persona":"finance","owner_id":"R001","product_interest":"CRM Pro","email_opens":4,"web_visits":2,"calls":1,"meetings":0,"created_at":"2026-09-01","converted":null,"converted_at":null},"explain":false}'
