"""The same helper, migrated."""


async def fetch(agent, url):
    response = await agent.request(b"GET", url)
    return response.code


async def fetch_all(agent, urls):
    return [await fetch(agent, url) for url in urls]
