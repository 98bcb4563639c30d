#!/usr/bin/python3
"""Write pcaps/demo-cluster.yaml: the demo cluster as
`kubectl get nodes,services,endpointslices -A -o yaml` prints it.

Deterministic: UIDs are uuid5 of the object's kind/namespace/name, timestamps
and resourceVersions are fixed. Run with Debian's python (no third-party
modules needed):

    /usr/bin/python3 scripts/make-demo-cluster.py

Other scripts import CLUSTER / build_list() / to_yaml() from this file.
"""
import os
import re
import sys
import uuid

UID_NS = uuid.UUID("6f1c1f4e-3c1a-4d0e-9a57-5e7c0c2a9b10")

# ---------------------------------------------------------------------------
# The cluster, as data (shared with scripts/make-*-capture*.py)
# ---------------------------------------------------------------------------
CLUSTER = {
    "pod_cidr_v4": "10.244.0.0/16",
    "pod_cidr_v6": "fd00:10:244::/56",
    "service_cidr_v4": "10.96.0.0/16",
    "service_cidr_v6": "fd00:10:96::/112",
    "nodes": {
        "node-a": {"ip": "192.168.49.2", "ip6": "fc00:f853:ccd:e793::2", "zone": "europe-west1-b",
                   "podCIDRs": ["10.244.1.0/24", "fd00:10:244:1::/64"]},
        "node-b": {"ip": "192.168.49.3", "ip6": "fc00:f853:ccd:e793::3", "zone": "europe-west1-c",
                   "podCIDRs": ["10.244.2.0/24", "fd00:10:244:2::/64"]},
    },
}

REGION = "europe-west1"


def uid(kind, ns, name):
    return str(uuid.uuid5(UID_NS, f"{kind}/{ns}/{name}"))


class RV:
    """Monotonic resourceVersion counter (fixed start)."""
    n = 1000

    @classmethod
    def next(cls):
        cls.n += 37
        return str(cls.n)


def node(name, info, created, control_plane=False):
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "topology.kubernetes.io/region": REGION,
        "topology.kubernetes.io/zone": info["zone"],
    }
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "annotations": {
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
            "creationTimestamp": created,
            "labels": labels,
            "name": name,
            "resourceVersion": RV.next(),
            "uid": uid("Node", "", name),
        },
        "spec": {
            "podCIDR": info["podCIDRs"][0],
            "podCIDRs": list(info["podCIDRs"]),
            "providerID": f"kind://docker/demo/{name}",
        },
        "status": {
            "addresses": [
                {"address": info["ip"], "type": "InternalIP"},
                {"address": info["ip6"], "type": "InternalIP"},
                {"address": name, "type": "Hostname"},
            ],
            "allocatable": {"cpu": "4", "ephemeral-storage": "102626232Ki", "memory": "16262356Ki", "pods": "110"},
            "capacity": {"cpu": "4", "ephemeral-storage": "102626232Ki", "memory": "16262356Ki", "pods": "110"},
            "conditions": [
                {"lastHeartbeatTime": "2025-03-14T09:24:41Z", "lastTransitionTime": created,
                 "message": "kubelet has sufficient memory available", "reason": "KubeletHasSufficientMemory",
                 "status": "False", "type": "MemoryPressure"},
                {"lastHeartbeatTime": "2025-03-14T09:24:41Z", "lastTransitionTime": created,
                 "message": "kubelet has no disk pressure", "reason": "KubeletHasNoDiskPressure",
                 "status": "False", "type": "DiskPressure"},
                {"lastHeartbeatTime": "2025-03-14T09:24:41Z", "lastTransitionTime": created,
                 "message": "kubelet has sufficient PID available", "reason": "KubeletHasSufficientPID",
                 "status": "False", "type": "PIDPressure"},
                {"lastHeartbeatTime": "2025-03-14T09:24:41Z", "lastTransitionTime": created,
                 "message": "kubelet is posting ready status", "reason": "KubeletReady",
                 "status": "True", "type": "Ready"},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": uid("boot", "", name),
                "containerRuntimeVersion": "containerd://1.7.24",
                "kernelVersion": "6.1.0-31-cloud-amd64",
                "kubeProxyVersion": "v1.31.4",
                "kubeletVersion": "v1.31.4",
                "machineID": uuid.uuid5(UID_NS, "machine/" + name).hex,
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": uid("system", "", name),
            },
        },
    }


def service(ns, name, labels, selector, ips, families, ports, created):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "creationTimestamp": created,
            "labels": labels,
            "name": name,
            "namespace": ns,
            "resourceVersion": RV.next(),
            "uid": uid("Service", ns, name),
        },
        "spec": {
            "clusterIP": ips[0],
            "clusterIPs": list(ips),
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": list(families),
            "ipFamilyPolicy": "SingleStack",
            "ports": [dict(p) for p in ports],
            "selector": selector,
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
        "status": {"loadBalancer": {}},
    }


def pod_ref(ns, pod):
    return {"kind": "Pod", "name": pod, "namespace": ns, "uid": uid("Pod", ns, pod)}


def endpoint(addr, node_name, ns, pod, ready=True, serving=True, terminating=False):
    return {
        "addresses": [addr],
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
        "nodeName": node_name,
        "targetRef": pod_ref(ns, pod),
        "zone": CLUSTER["nodes"][node_name]["zone"],
    }


def slice_(ns, svc_name, svc_labels, slice_name, address_type, endpoints, ports, created, trigger):
    labels = dict(svc_labels)
    labels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io"
    labels["kubernetes.io/service-name"] = svc_name
    meta = {
        "creationTimestamp": created,
        "generateName": svc_name + "-",
        "generation": 1 + len(endpoints or []),
        "labels": labels,
        "name": slice_name,
        "namespace": ns,
        "ownerReferences": [{
            "apiVersion": "v1", "blockOwnerDeletion": True, "controller": True,
            "kind": "Service", "name": svc_name, "uid": uid("Service", ns, svc_name),
        }],
        "resourceVersion": RV.next(),
        "uid": uid("EndpointSlice", ns, slice_name),
    }
    if trigger:
        meta["annotations"] = {"endpoints.kubernetes.io/last-change-trigger-time": trigger}
    return {
        "addressType": address_type,
        "apiVersion": "discovery.k8s.io/v1",
        # kubectl prints `endpoints: null` for a slice with no endpoints
        "endpoints": endpoints,
        "kind": "EndpointSlice",
        "metadata": meta,
        "ports": ports,
    }


def build_items():
    RV.n = 1000
    items = []
    items.append(node("node-a", CLUSTER["nodes"]["node-a"], "2025-03-10T08:12:04Z", control_plane=True))
    items.append(node("node-b", CLUSTER["nodes"]["node-b"], "2025-03-10T08:12:31Z"))

    # --- Services ---------------------------------------------------------
    web_l = {"app": "web", "app.kubernetes.io/part-of": "shop"}
    dns_l = {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"}
    sctp_l = {"app": "sctp-echo"}
    api6_l = {"app": "api6"}
    empty_l = {"app": "empty"}
    # kubectl -A lists each kind by namespace, then name
    items.append(service("default", "api6", api6_l, {"app": "api6"}, ["fd00:10:96::20"], ["IPv6"],
                         [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443}],
                         "2025-03-10T08:22:03Z"))
    items.append(service("default", "empty", empty_l, {"app": "empty"}, ["10.96.0.99"], ["IPv4"],
                         [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
                         "2025-03-10T08:22:57Z"))
    items.append(service("default", "sctp-echo", sctp_l, {"app": "sctp-echo"}, ["10.96.0.77"], ["IPv4"],
                         # unnamed port: the EndpointSlice port has name ""
                         [{"port": 7777, "protocol": "SCTP", "targetPort": 7777}],
                         "2025-03-10T08:21:40Z"))
    items.append(service("default", "web", web_l, {"app": "web"}, ["10.96.0.10"], ["IPv4"],
                         [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
                         "2025-03-10T08:20:11Z"))
    items.append(service("kube-system", "kube-dns", dns_l, {"k8s-app": "kube-dns"}, ["10.96.0.53"], ["IPv4"],
                         [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                          {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}],
                         "2025-03-10T08:12:09Z"))

    # --- EndpointSlices ----------------------------------------------------
    items.append(slice_("default", "api6", api6_l, "api6-b7t2w", "IPv6", [
        endpoint("fd00:10:244:1::8", "node-a", "default", "api6-6c9f7b5d4-r2x8q"),
        endpoint("fd00:10:244:2::9", "node-b", "default", "api6-6c9f7b5d4-zk4mn"),
    ], [{"name": "https", "port": 8443, "protocol": "TCP"}], "2025-03-10T08:22:03Z", "2025-03-10T08:22:19Z"))
    items.append(slice_("default", "empty", empty_l, "empty-x8pzd", "IPv4", None,
                        None, "2025-03-10T08:22:57Z", None))
    items.append(slice_("default", "sctp-echo", sctp_l, "sctp-echo-lq5rn", "IPv4", [
        endpoint("10.244.1.9", "node-a", "default", "sctp-echo-5f4d8c7b9-h6v2t"),
        endpoint("10.244.2.11", "node-b", "default", "sctp-echo-5f4d8c7b9-p9w4c"),
    ], [{"name": "", "port": 7777, "protocol": "SCTP"}], "2025-03-10T08:21:40Z", "2025-03-10T08:21:52Z"))
    items.append(slice_("default", "web", web_l, "web-2xk7p", "IPv4", [
        endpoint("10.244.1.5", "node-a", "default", "web-7d9c6b8f5d-4kq9z"),
        endpoint("10.244.2.6", "node-b", "default", "web-7d9c6b8f5d-m8w2d"),
    ], [{"name": "http", "port": 8080, "protocol": "TCP"}], "2025-03-10T08:20:11Z", "2025-03-10T08:20:30Z"))
    items.append(slice_("default", "web", web_l, "web-9qmbz", "IPv4", [
        endpoint("10.244.2.7", "node-b", "default", "web-7d9c6b8f5d-t5nhx"),
    ], [{"name": "http", "port": 8080, "protocol": "TCP"}], "2025-03-11T14:03:52Z", "2025-03-11T14:04:07Z"))
    items.append(slice_("kube-system", "kube-dns", dns_l, "kube-dns-4hvz8", "IPv4", [
        endpoint("10.244.1.3", "node-a", "kube-system", "coredns-7c65d6cfc9-8lq2v"),
        endpoint("10.244.2.3", "node-b", "kube-system", "coredns-7c65d6cfc9-x7fgk"),
    ], [{"name": "dns-tcp", "port": 53, "protocol": "TCP"},
        {"name": "dns", "port": 53, "protocol": "UDP"}], "2025-03-10T08:12:09Z", "2025-03-10T08:12:44Z"))
    return items


def build_list(items=None):
    return {"apiVersion": "v1", "items": items if items is not None else build_items(),
            "kind": "List", "metadata": {"resourceVersion": ""}}


# ---------------------------------------------------------------------------
# A small YAML emitter in kubectl's (sigs.k8s.io/yaml) style: keys sorted,
# list items at the parent's indentation, strings quoted only when needed.
# ---------------------------------------------------------------------------
_PLAIN = re.compile(r"[A-Za-z0-9/]([A-Za-z0-9_.:/() -]*[A-Za-z0-9_./)-])?")
_NUMBERISH = re.compile(r"[-+]?(\.?\d[\d_]*)(\.\d*)?([eE][-+]?\d+)?|0[xXoObB][0-9a-fA-F_]+")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?")
_DATE = re.compile(r"\d{4}-\d\d?-\d\d?.*")
_WORDS = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"}


def _scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if (_PLAIN.fullmatch(s) and ": " not in s and not s.endswith(":") and not _NUMBERISH.fullmatch(s)
            and not _BASE60.fullmatch(s) and not _DATE.fullmatch(s) and s.lower() not in _WORDS):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _emit(obj, indent, out):
    pad = " " * indent
    if isinstance(obj, dict):
        for k in sorted(obj):
            v = obj[k]
            if isinstance(v, dict) and v:
                out.append(f"{pad}{_scalar(k)}:")
                _emit(v, indent + 2, out)
            elif isinstance(v, list) and v:
                out.append(f"{pad}{_scalar(k)}:")
                _emit(v, indent, out)
            elif isinstance(v, dict):
                out.append(f"{pad}{_scalar(k)}: {{}}")
            elif isinstance(v, list):
                out.append(f"{pad}{_scalar(k)}: []")
            else:
                out.append(f"{pad}{_scalar(k)}: {_scalar(v)}")
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, (dict, list)) and item:
                sub = []
                _emit(item, indent + 2, sub)
                sub[0] = pad + "- " + sub[0][indent + 2:]
                out.extend(sub)
            else:
                out.append(f"{pad}- {_scalar(item) if not isinstance(item, (dict, list)) else ('{}' if isinstance(item, dict) else '[]')}")
    else:
        out.append(pad + _scalar(obj))


def to_yaml(obj):
    out = []
    _emit(obj, 0, out)
    return "\n".join(out) + "\n"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "pcaps", "demo-cluster.yaml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="\n") as f:
        f.write(to_yaml(build_list()))
    print(path, file=sys.stderr)


if __name__ == "__main__":
    main()
