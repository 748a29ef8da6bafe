//! Where a template is rendered: the partition, region, account and physical names, validated.

use crate::kms::is_valid_kms_key_id;
use crate::model::is_valid_dynamodb_name;
use crate::named::is_valid_queue_name;
use crate::s3::is_valid_bucket_name;
use core::fmt;

/// The longest region name accepted at run time. AWS region names are far shorter
/// (`ap-southeast-5`, `us-gov-west-1`); the bound keeps the worst-case size finite.
pub const MAX_REGION_LEN: usize = 32;

/// An AWS partition, taken from the role ARN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Partition {
    /// `aws`.
    Aws,
    /// `aws-cn`.
    AwsCn,
    /// `aws-us-gov`.
    AwsUsGov,
}

impl Partition {
    /// The partition as written in ARNs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// Parses `aws`, `aws-cn` or `aws-us-gov`.
    pub fn parse(s: &str) -> Option<Partition> {
        match s {
            "aws" => Some(Partition::Aws),
            "aws-cn" => Some(Partition::AwsCn),
            "aws-us-gov" => Some(Partition::AwsUsGov),
            _ => None,
        }
    }
}

/// The values a template is rendered with, all validated: the account-level values and the
/// physical name of each table, bucket and shared queue, in the model's declaration order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    partition: Partition,
    region: String,
    account: String,
    tables: Vec<String>,
    buckets: Vec<String>,
    queues: Vec<String>,
    kms_keys: Vec<String>,
}

/// A value for a placeholder that fails validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlacementError {
    /// Not `[a-z0-9-]{1,32}`.
    Region(String),
    /// Not 12 digits.
    Account(String),
    /// Not a DynamoDB table name.
    Table(String),
    /// Not an S3 bucket name.
    Bucket(String),
    /// Not an SQS queue name.
    Queue(String),
    /// Not a KMS key id.
    KmsKey(String),
    /// Two of a handler's tables, two of its buckets or two of its shared queues bound to one
    /// physical name: the guard could not tell which declaration a request is for.
    Shared(String),
}

impl fmt::Display for PlacementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementError::Region(r) => {
                write!(f, "invalid region {r:?}: expected 1-{MAX_REGION_LEN} characters of `a-z`, `0-9` and `-`")
            }
            PlacementError::Account(a) => write!(f, "invalid account id {a:?}: expected 12 digits"),
            PlacementError::Table(t) => write!(
                f,
                "invalid table name {t:?}: expected 3-255 characters of `A-Z`, `a-z`, `0-9`, `_`, `-` and `.`"
            ),
            PlacementError::Bucket(b) => write!(
                f,
                "invalid bucket name {b:?}: expected 3-63 characters of `a-z`, `0-9`, `.` and `-`, beginning and ending with a letter or digit"
            ),
            PlacementError::Queue(q) => write!(
                f,
                "invalid queue name {q:?}: expected 1-80 characters of `A-Z`, `a-z`, `0-9`, `_` and `-`, a FIFO \
                 queue's ending with `.fifo`"
            ),
            PlacementError::KmsKey(k) => write!(
                f,
                "invalid KMS key id {k:?}: expected a key id, a UUID such as `1234abcd-12ab-34cd-56ef-1234567890ab` \
                 or a multi-Region key's `mrk-` and 32 hex digits (not an alias or an ARN; CloudFormation's `!Ref` of \
                 an `AWS::KMS::Key` is its key id)"
            ),
            PlacementError::Shared(n) => write!(
                f,
                "{n:?} is bound to two of the handler's declarations: give each its own table, bucket or queue"
            ),
        }
    }
}

impl std::error::Error for PlacementError {}

impl Placement {
    /// Validates the values a policy is rendered with: partition, region and account, and the
    /// physical names of the handler's tables and buckets in declaration order.
    pub fn new(
        partition: Partition,
        region: &str,
        account: &str,
        tables: &[&str],
        buckets: &[&str],
    ) -> Result<Placement, PlacementError> {
        if region.is_empty()
            || region.len() > MAX_REGION_LEN
            || !region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(PlacementError::Region(region.to_owned()));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PlacementError::Account(account.to_owned()));
        }
        for (i, table) in tables.iter().enumerate() {
            if !is_valid_dynamodb_name(table) {
                return Err(PlacementError::Table((*table).to_owned()));
            }
            if tables[..i].contains(table) {
                return Err(PlacementError::Shared((*table).to_owned()));
            }
        }
        for (i, bucket) in buckets.iter().enumerate() {
            if !is_valid_bucket_name(bucket) {
                return Err(PlacementError::Bucket((*bucket).to_owned()));
            }
            if buckets[..i].contains(bucket) {
                return Err(PlacementError::Shared((*bucket).to_owned()));
            }
        }
        Ok(Placement {
            partition,
            region: region.to_owned(),
            account: account.to_owned(),
            tables: tables.iter().map(|t| (*t).to_owned()).collect(),
            buckets: buckets.iter().map(|b| (*b).to_owned()).collect(),
            queues: Vec::new(),
            kms_keys: Vec::new(),
        })
    }

    /// The same placement with the physical names of the handler's shared queues, in their
    /// declaration order (`HandlerModel::shared_queues`), validated as SQS queue names.
    pub fn with_queues(self, queues: &[&str]) -> Result<Placement, PlacementError> {
        for (i, queue) in queues.iter().enumerate() {
            if !is_valid_queue_name(queue) {
                return Err(PlacementError::Queue((*queue).to_owned()));
            }
            if queues[..i].contains(queue) {
                return Err(PlacementError::Shared((*queue).to_owned()));
            }
        }
        Ok(Placement { queues: queues.iter().map(|q| (*q).to_owned()).collect(), ..self })
    }

    /// The same placement with the customer-managed KMS key ids of the handler's secrets and
    /// parameters, in declaration order ([`crate::HandlerModel::kms_keys`]); each must be a key
    /// id ([`crate::is_valid_kms_key_id`]). Two declarations may share a key.
    pub fn with_kms_keys(self, keys: &[&str]) -> Result<Placement, PlacementError> {
        if let Some(bad) = keys.iter().find(|k| !is_valid_kms_key_id(k)) {
            return Err(PlacementError::KmsKey((*bad).to_owned()));
        }
        Ok(Placement { kms_keys: keys.iter().map(|k| (*k).to_owned()).collect(), ..self })
    }

    /// The partition.
    pub fn partition(&self) -> Partition {
        self.partition
    }
    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }
    /// The account id.
    pub fn account(&self) -> &str {
        &self.account
    }
    /// The physical table names, in declaration order.
    pub fn tables(&self) -> &[String] {
        &self.tables
    }
    /// The physical bucket names, in declaration order.
    pub fn buckets(&self) -> &[String] {
        &self.buckets
    }
    /// The physical names of the shared queues, in declaration order.
    pub fn queues(&self) -> &[String] {
        &self.queues
    }
    /// The customer-managed KMS key ids, in declaration order.
    pub fn kms_keys(&self) -> &[String] {
        &self.kms_keys
    }
    /// `arn:<partition>:dynamodb:<region>:<account>:table/<table>` of the `i`-th table.
    pub fn table_arn(&self, i: usize) -> Option<String> {
        let table = self.tables.get(i)?;
        Some(format!("arn:{}:dynamodb:{}:{}:table/{table}", self.partition.as_str(), self.region, self.account))
    }

    /// The value of one placeholder.
    pub(super) fn value(&self, name: &str) -> Option<&str> {
        let numbered = |rest: &str, names: &'_ [String]| -> Option<usize> {
            let i = if rest.is_empty() { 0 } else { rest.parse::<usize>().ok()?.checked_sub(1)? };
            (i < names.len()).then_some(i)
        };
        Some(match name {
            "partition" => self.partition.as_str(),
            "region" => &self.region,
            "account" => &self.account,
            n => {
                if let Some(rest) = n.strip_prefix("table") {
                    &self.tables[numbered(rest, &self.tables)?]
                } else if let Some(rest) = n.strip_prefix("bucket") {
                    &self.buckets[numbered(rest, &self.buckets)?]
                } else if let Some(rest) = n.strip_prefix("queue") {
                    &self.queues[numbered(rest, &self.queues)?]
                } else if let Some(rest) = n.strip_prefix("kms") {
                    &self.kms_keys[numbered(rest, &self.kms_keys)?]
                } else {
                    return None;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_values_are_validated() {
        let place = |region: &str, account: &str, tables: &[&str], buckets: &[&str]| {
            Placement::new(Partition::Aws, region, account, tables, buckets)
        };
        assert!(place("eu-west-1*", "123456789012", &["Orders"], &[]).is_err());
        assert!(place("eu-west-1", "12345678901", &["Orders"], &[]).is_err());
        assert!(place("eu-west-1", "123456789012", &["Or\"ders"], &[]).is_err());
        assert!(place("eu-west-1", "123456789012", &["Orders"], &["Files"]).is_err());
        assert_eq!(
            place("eu-west-1", "123456789012", &["Orders", "Orders"], &[]),
            Err(PlacementError::Shared("Orders".into()))
        );
    }

    #[test]
    fn queue_names_are_validated_and_numbered() {
        let place = |queues: &[&str]| {
            Placement::new(Partition::Aws, "eu-west-1", "123456789012", &[], &[]).unwrap().with_queues(queues)
        };
        for bad in ["", "order events", "order-*", "order.events", ".fifo", &"q".repeat(81)] {
            assert_eq!(place(&[bad]), Err(PlacementError::Queue(bad.to_owned())), "{bad}");
        }
        assert_eq!(place(&["a", "a"]), Err(PlacementError::Shared("a".into())));
        let placed = place(&["order-events", "audit.fifo"]).unwrap();
        assert_eq!(placed.queues(), ["order-events", "audit.fifo"]);
        assert_eq!(placed.value("queue"), Some("order-events"));
        assert_eq!(placed.value("queue2"), Some("audit.fifo"));
        assert_eq!(placed.value("queue3"), None);
        assert_eq!(place(&[&"q".repeat(80)]).map(|p| p.queues().len()), Ok(1));
    }
}
