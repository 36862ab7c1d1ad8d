"""``proliferate-infra deploy``: build, push, migrate, roll out, smoke-check, roll back.

Run from a checkout of the platform (``proliferate-ai/proliferate``), it deploys the
checked-out commit to a stack built with
:class:`~proliferate_components.stack.ProliferateStack` (see docs/deploy.md):

1. **source** (:mod:`.source`): the image tag is the commit (``git rev-parse --short HEAD``),
   with ``-dirty-<UTC time>`` for a dirty tree, which is refused unless allowed;
2. **build** (:mod:`.docker`, :mod:`.images`): ``docker buildx build --platform
   linux/amd64`` of every enabled service's image with the context, Dockerfile and build
   arguments of the platform contract (:data:`~proliferate_components.platform.PLATFORM_SERVICES`),
   skipping images ECR already holds for the tag;
3. **push**: ``docker login`` with an ECR authorization token, ``docker push``;
4. **migrate** (:mod:`.migrate`): the migrations task, run with the new worker image
   before any service changes;
5. **update**: ``proliferate:imageTag`` and ``pulumi up`` (Automation API);
6. **roll out** (:mod:`.rollout`): every ECS service steady on the new image;
7. **smoke check** (:mod:`.smoke`): every public health endpoint through the load balancer;
8. **roll back**: on a failed rollout or smoke check, the previous tag and ``up`` again.

:mod:`.flow` runs the steps; :mod:`.commands` runs programs (tests inject a runner);
:mod:`.result` holds what a run did. Nothing here imports boto3, pulumi or rich at import
time.
"""
