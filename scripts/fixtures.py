"""Provision the tenant-isolation test fixtures into a running moto server.

Usage: .tools/venv/bin/python scripts/fixtures.py --endpoint http://127.0.0.1:PORT

Creates (or reuses, when run again against the same moto process) an IAM role `TenantData`,
the DynamoDB table `Orders` with GSIs `ByStatus` (on `pk`) and `ByCustomer` (on `gsi1pk`), the table
`Customers` (customer `c-1` in the partitions of `acme` and of `globex`), the S3 bucket
`order-attachments`, each tenant's webhook secret `tenants/<tenant>/webhook` (Secrets Manager) and
settings parameter `/tenants/<tenant>/settings` (Parameter Store), and a
Cognito user pool (its `custom:tenant_id` immutable, its app client's write attributes without it) with users alice (acme),
bob (globex), carol (no tenant), mallory (`*`) and eve (`acme#x`), then prints ONE JSON object on
stdout (see `main`). Diagnostics go to stderr.

What moto (5.2.x) puts into Cognito tokens -- checked by this script on every run (`check_tokens`):

* Header: {"alg": "RS256", "kid": "dummy", "typ": "JWT"}. The signing key is a fixed RSA key that
  ships inside the moto package: every pool of every moto process signs with the same key and
  kid. A test that needs a token signed by an untrusted key must make its own key.
* `iss` is "https://cognito-idp.<region>.<real AWS domain>/<pool id>": the real AWS host name,
  not the moto endpoint. So the JWKS URL cannot be derived from `iss`; this script reads `iss`
  from a token and reports it apart from `jwks_url`.
* JWKS: `<endpoint>/<pool id>/.well-known/jwks.json` (one RSA key, kid "dummy"). moto serves the
  same key set for ANY path segment, including pool ids that do not exist.
  `<endpoint>/<pool id>/.well-known/openid-configuration` also exists.
* Pool ids look like "us-east-1_" + 32 hex digits (real Cognito: 9 alphanumerics after the
  underscore); client ids are 26 lowercase alphanumerics.
* ID token claims: iss, sub, aud (= client id), token_use "id", iat, auth_time, exp (iat+3600),
  jti, origin_jti, "cognito:username", every `custom:` attribute under its own name
  (`custom:tenant_id`) whatever the client's ReadAttributes, the standard attributes the client
  may read (none by default), and `cognito:groups` only for users in groups.
* Access token claims: iss, sub, client_id, token_use "access", iat, auth_time, exp, jti,
  origin_jti, username, scope "aws.cognito.signin.user.admin". No `aud` (as in real Cognito) and
  no custom attributes.
* A user without the attribute (carol) simply has no `custom:tenant_id` claim. moto accepts any
  string as an attribute value, including `*` and `acme#x`.

Other moto behaviour seen here (not relied on): STS AssumeRole succeeds for a role that does not
exist, accepts DurationSeconds=43200 (above MaxSessionDuration and the 1 h role-chaining cap),
accepts a non-JSON or 3,000-character session policy and always reports PackedPolicySize 6.
"""

import argparse
import base64
import json
import sys
import urllib.request

import boto3
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.jwk import KeySet

REGION = "us-east-1"
ROLE_NAME = "TenantData"
TAG_ROLE_NAME = "TenantDataTagged"
TABLE = "Orders"
CUSTOMERS_TABLE = "Customers"
ATTACHMENTS_BUCKET = "order-attachments"
# Customer `c-1` of each tenant (`TENANT#<tenant>`, `CUSTOMER#c-1`).
CUSTOMERS = {"acme": "Acme Purchasing", "globex": "Globex Procurement"}
INDEX = "ByStatus"
# A GSI keyed on its own attribute: writes may not plant another tenant's value in it (the
# guard's check; IAM sees only the table's partition key on writes).
CUSTOMER_INDEX = "ByCustomer"
CUSTOMER_KEY = "gsi1pk"
# The app client may write these attributes, and not the tenant attribute: a user who could
# rewrite `custom:tenant_id` with their own access token (UpdateUserAttributes) would choose
# their tenant. moto 5.2.x enforces neither immutability nor WriteAttributes; real Cognito
# enforces both (Cognito Developer Guide, "Attribute permissions and scopes").
CLIENT_WRITE_ATTRIBUTES = ["email", "name"]
POOL_NAME = "tenant-isolation-test"
CLIENT_NAME = "tenant-isolation-test-client"
# Fake credentials and a fake password: moto accepts anything that satisfies the pool policy.
PASSWORD = "Test-Passw0rd!"
USERS = {
    "alice": "acme",
    "bob": "globex",
    "carol": None,
    "mallory": "*",
    "eve": "acme#x",
}


def log(msg):
    print(f"fixtures: {msg}", file=sys.stderr)


def b64json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def decode_unverified(token):
    header, claims, _sig = token.split(".")
    return b64json(header), b64json(claims)


def ensure_role(iam, account, name=ROLE_NAME, tag_session=False):
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": ["sts:AssumeRole", "sts:TagSession"] if tag_session else ["sts:AssumeRole"],
            }
        ],
    }
    try:
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description="Broad data-access role; tenant scope comes from per-request session policies",
            MaxSessionDuration=3600,
        )["Role"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        role = iam.get_role(RoleName=name)["Role"]
    table_arn = f"arn:aws:dynamodb:{REGION}:{account}:table/{TABLE}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrdersData",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:BatchGetItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:UpdateItem",
                    "dynamodb:PartiQLDelete",
                    "dynamodb:PartiQLInsert",
                    "dynamodb:PartiQLSelect",
                    "dynamodb:PartiQLUpdate",
                ],
                "Resource": [table_arn, f"{table_arn}/index/*"],
            }
        ],
    }
    # put_role_policy overwrites: idempotent.
    if tag_session:
        # The tag role confines keys by the session tag itself (its sessions carry no session policy),
        # with the conditions core/src/policy/ writes (moto enforces none of them).
        patterns = ["TENANT#${aws:PrincipalTag/tenant}", "TENANT#${aws:PrincipalTag/tenant}#*"]
        for statement in policy["Statement"]:
            statement["Condition"] = {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": patterns},
                "ForAnyValue:StringLike": {"dynamodb:LeadingKeys": patterns},
                "Null": {"dynamodb:LeadingKeys": "false"},
            }
    iam.put_role_policy(RoleName=name, PolicyName="OrdersData", PolicyDocument=json.dumps(policy))
    return role["Arn"]


def ensure_table(ddb):
    try:
        ddb.create_table(
            TableName=TABLE,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "status", "AttributeType": "S"},
                {"AttributeName": CUSTOMER_KEY, "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": INDEX,
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "status", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": CUSTOMER_INDEX,
                    "KeySchema": [{"AttributeName": CUSTOMER_KEY, "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                },
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceInUseException":
            raise
    ddb.get_waiter("table_exists").wait(TableName=TABLE, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    desc = ddb.describe_table(TableName=TABLE)["Table"]
    names = [g["IndexName"] for g in desc.get("GlobalSecondaryIndexes", [])]
    for index in (INDEX, CUSTOMER_INDEX):
        if index not in names:
            raise SystemExit(f"table {TABLE} exists without index {index}: {names}")


def ensure_customers(ddb):
    """The `Customers` table (`pk`/`sk`), with customer `c-1` in each tenant's partition: the same
    id in two tenants, so that a tenant reading "its" `c-1` shows whose it got."""
    try:
        ddb.create_table(
            TableName=CUSTOMERS_TABLE,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceInUseException":
            raise
    ddb.get_waiter("table_exists").wait(TableName=CUSTOMERS_TABLE, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    for tenant, name in CUSTOMERS.items():
        ddb.put_item(
            TableName=CUSTOMERS_TABLE,
            Item={"pk": {"S": f"TENANT#{tenant}"}, "sk": {"S": "CUSTOMER#c-1"}, "name": {"S": name}},
        )


def ensure_bucket(s3):
    """The orders' attachments bucket (tenants' objects under `tenants/<tenant>/`)."""
    try:
        s3.create_bucket(Bucket=ATTACHMENTS_BUCKET)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


# Each tenant's webhook signing secret and order settings (what `create_order` reads).
TENANT_CONFIG = {
    "acme": {"webhook": "whsec-acme-7f3a", "settings": {"currency": "EUR", "max_quantity": 100}},
    "globex": {"webhook": "whsec-globex-91c2", "settings": {"currency": "USD", "max_quantity": 5}},
}


def ensure_tenant_config(secrets, ssm):
    """Each tenant's secret under `tenants/<tenant>/` and parameter under `/tenants/<tenant>/`."""
    for tenant, config in TENANT_CONFIG.items():
        name = f"tenants/{tenant}/webhook"
        try:
            secrets.create_secret(Name=name, SecretString=config["webhook"])
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceExistsException":
                raise
            secrets.put_secret_value(SecretId=name, SecretString=config["webhook"])
        ssm.put_parameter(
            Name=f"/tenants/{tenant}/settings", Value=json.dumps(config["settings"]), Type="String", Overwrite=True
        )


def ensure_pool(idp):
    pool_id = None
    for page in idp.get_paginator("list_user_pools").paginate(MaxResults=60):
        for p in page["UserPools"]:
            if p["Name"] == POOL_NAME:
                pool_id = p["Id"]
    if pool_id is None:
        pool_id = idp.create_user_pool(
            PoolName=POOL_NAME,
            Schema=[
                {
                    "Name": "tenant_id",
                    "AttributeDataType": "String",
                    # Set by the administrator at sign-up, never by the user (see above).
                    "Mutable": False,
                    "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "256"},
                }
            ],
        )["UserPool"]["Id"]
    client_id = None
    for c in idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]:
        if c["ClientName"] == CLIENT_NAME:
            client_id = c["ClientId"]
    if client_id is None:
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=CLIENT_NAME,
            GenerateSecret=False,
            ExplicitAuthFlows=["ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"],
            WriteAttributes=CLIENT_WRITE_ATTRIBUTES,
        )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def tenant_attribute_protection(idp, pool_id, client_id):
    """What the pool and its client say about the tenant attribute, as Cognito describes them."""
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    attr = next((a for a in pool.get("SchemaAttributes", []) if a["Name"] == "custom:tenant_id"), None)
    if attr is None:
        raise SystemExit("the pool has no custom:tenant_id attribute")
    client = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    return {"mutable": attr.get("Mutable", True), "client_write_attributes": client.get("WriteAttributes")}


def ensure_user(idp, pool_id, name, tenant):
    attrs = [] if tenant is None else [{"Name": "custom:tenant_id", "Value": tenant}]
    try:
        idp.admin_create_user(UserPoolId=pool_id, Username=name, UserAttributes=attrs, MessageAction="SUPPRESS")
    except ClientError as e:
        if e.response["Error"]["Code"] != "UsernameExistsException":
            raise
    idp.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True)


def login(idp, pool_id, client_id, name):
    res = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
    )
    auth = res["AuthenticationResult"]
    return auth["IdToken"], auth["AccessToken"]


def fetch_jwks(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        jwks = json.load(resp)
    if not jwks.get("keys"):
        raise SystemExit(f"no keys at {url}: {jwks}")
    return jwks


def check_tokens(name, tenant, id_token, access_token, client_id, issuer, key_set):
    """Assert what the harness relies on; fail loudly if a moto upgrade changes it."""
    for kind, token in (("id", id_token), ("access", access_token)):
        header, claims = decode_unverified(token)
        # The JWKS served by moto must verify the token (signature check).
        jwt.decode(token, key_set, algorithms=["RS256"])
        want = {"alg": "RS256"}
        if header.get("alg") != want["alg"] or not header.get("kid"):
            raise SystemExit(f"{name} {kind} token header unexpected: {header}")
        if claims.get("token_use") != kind or claims.get("iss") != issuer:
            raise SystemExit(f"{name} {kind} token claims unexpected: {claims}")
    _, idc = decode_unverified(id_token)
    _, acc = decode_unverified(access_token)
    if idc.get("aud") != client_id or acc.get("client_id") != client_id:
        raise SystemExit(f"{name}: aud/client_id do not name the app client: {idc} {acc}")
    if idc.get("custom:tenant_id") != tenant:
        raise SystemExit(f"{name}: custom:tenant_id is {idc.get('custom:tenant_id')!r}, want {tenant!r}")
    if idc["sub"] != acc["sub"]:
        raise SystemExit(f"{name}: id and access tokens disagree on sub")
    return idc["sub"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True, help="moto server URL, e.g. http://127.0.0.1:5000")
    args = ap.parse_args()
    endpoint = args.endpoint.rstrip("/")

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )

    def client(service):
        return session.client(service, endpoint_url=endpoint)

    account = client("sts").get_caller_identity()["Account"]
    role_arn = ensure_role(client("iam"), account)
    # Session-tag (ABAC) handlers assume their own role (never the session-policy one); its
    # trust policy must allow sts:TagSession. moto does not evaluate either policy.
    tag_role_arn = ensure_role(client("iam"), account, TAG_ROLE_NAME, tag_session=True)
    ensure_table(client("dynamodb"))
    ensure_customers(client("dynamodb"))
    ensure_bucket(client("s3"))
    ensure_tenant_config(client("secretsmanager"), client("ssm"))

    idp = client("cognito-idp")
    pool_id, client_id = ensure_pool(idp)
    jwks_url = f"{endpoint}/{pool_id}/.well-known/jwks.json"
    key_set = KeySet.import_key_set(fetch_jwks(jwks_url))

    issuer = None
    users = {}
    for name, tenant in USERS.items():
        ensure_user(idp, pool_id, name, tenant)
        id_token, access_token = login(idp, pool_id, client_id, name)
        if issuer is None:
            issuer = decode_unverified(id_token)[1]["iss"]
            if not issuer.endswith("/" + pool_id):
                raise SystemExit(f"issuer {issuer!r} does not end with the pool id {pool_id}")
        sub = check_tokens(name, tenant, id_token, access_token, client_id, issuer, key_set)
        users[name] = {"tenant": tenant, "id_token": id_token, "access_token": access_token, "sub": sub}

    out = {
        "endpoint": endpoint,
        "region": REGION,
        "account": account,
        "role_arn": role_arn,
        "tag_role_arn": tag_role_arn,
        "table": TABLE,
        "customers_table": CUSTOMERS_TABLE,
        "attachments_bucket": ATTACHMENTS_BUCKET,
        "tenant_config": TENANT_CONFIG,
        "index": INDEX,
        "customer_index": CUSTOMER_INDEX,
        "customer_key": CUSTOMER_KEY,
        "tenant_attribute": tenant_attribute_protection(idp, pool_id, client_id),
        "user_pool_id": pool_id,
        "client_id": client_id,
        "issuer": issuer,
        "jwks_url": jwks_url,
        "users": users,
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    log(f"ready: pool {pool_id}, role {role_arn}, table {TABLE}")


if __name__ == "__main__":
    main()
