"""The gateway's request id reaches every downstream call; its metrics show the calls."""

from contracts.observability import REQUEST_ID_HEADER


async def test_request_id_is_passed_to_the_catalog_and_returned(gateway, scripted, dead_url):
    catalog = scripted()
    catalog.answer("/v1/count-platform", 200, {"count": 7})
    async with gateway(catalog=catalog.url, recsys=dead_url) as client:
        answer = await client.get("/get_count_platform", params={"platform": "hulu"},
                                  headers={REQUEST_ID_HEADER: "trace-42"})
        generated = await client.get("/get_count_platform", params={"platform": "hulu"})
        metrics = (await client.get("/metrics")).text
    assert answer.json() == 7
    assert answer.headers[REQUEST_ID_HEADER] == "trace-42"
    assert catalog.request_ids[0] == "trace-42"
    assert catalog.request_ids[1] == generated.headers[REQUEST_ID_HEADER]
    assert ('downstream_request_duration_seconds_count{downstream="catalog service",'
            'outcome="200",route="/v1/count-platform"} 2.0') in metrics
    assert ('http_requests_total{method="GET",route="/get_count_platform",'
            'service="gateway",status="200"} 2.0') in metrics


async def test_downstream_failures_are_counted_by_outcome(gateway, dead_url):
    async with gateway(catalog=dead_url, recsys=dead_url, wait=0.5) as client:
        failed = await client.get("/get_count_platform", params={"platform": "hulu"})
        metrics = (await client.get("/metrics")).text
    assert failed.status_code == 503
    assert ('downstream_request_duration_seconds_count{downstream="catalog service",'
            'outcome="unreachable",route="/v1/count-platform"} 1.0') in metrics
