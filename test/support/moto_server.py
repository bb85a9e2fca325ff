"""moto_server with two gaps filled, for test/support/moto.ts.

moto ships AWS's public Amazon Linux AMI parameters (/aws/service/ami-amazon-linux-latest/...)
but not the Deep Learning AMI's (/aws/service/deeplearning/...), and refuses PutParameter under
/aws/. A CloudFormation parameter of type AWS::SSM::Parameter::Value<AWS::EC2::Image::Id> whose
default is the DLAMI path then crashes moto's CreateStack. So, the way moto loads the Amazon Linux
ones, we load the DLAMI paths the training stack uses, pointing at moto's Amazon Linux 2023 image.
The template stays the one a real deploy gets; only the fake learns one more public parameter.

moto's CloudFormation creates an AWS::S3::Bucket with its encryption and tags but drops its
PublicAccessBlockConfiguration, which AWS applies. So, after moto's own create, we apply it through
moto's S3 backend, as PutPublicAccessBlock would: `aws s3api get-public-access-block` then checks
what the template asked for, not a default.
Usage: python3 moto_server.py -H 127.0.0.1 -p PORT
"""

from moto.server import main
from moto.s3 import models as s3_models
from moto.ssm import models
from moto.utilities.utils import get_partition

DLAMI_PATHS = [
    "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id",
]
SOURCE = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64"

original = models.ParameterDict._check_loading_status


def check_loading_status(self, key):
    original(self, key)
    if str(key or "").startswith("/aws/service/deeplearning/") and not getattr(self, "dlami_loaded", False):
        self.dlami_loaded = True
        original(self, SOURCE)
        source = dict.get(self, SOURCE)
        if source:
            for path in DLAMI_PATHS:
                defaultdict_getitem = super(models.ParameterDict, self).__getitem__
                defaultdict_getitem(path).append(
                    models.Parameter(
                        account_id=self.account_id,
                        name=path,
                        value=source[-1].value,
                        parameter_type="String",
                        description=None,
                        allowed_pattern=None,
                        keyid=None,
                        last_modified_date=source[-1].last_modified_date,
                        version=1,
                        data_type="aws:ec2:image",
                    )
                )


models.ParameterDict._check_loading_status = check_loading_status

original_bucket_create = s3_models.FakeBucket.create_from_cloudformation_json.__func__


def create_bucket(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    bucket = original_bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    block = cloudformation_json.get("Properties", {}).get("PublicAccessBlockConfiguration")
    if block:
        backend = s3_models.s3_backends[account_id][get_partition(region_name)]
        backend.put_public_access_block(bucket.name, block)
    return bucket


s3_models.FakeBucket.create_from_cloudformation_json = classmethod(create_bucket)

if __name__ == "__main__":
    main()
