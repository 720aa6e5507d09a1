import Flux
import FluxService
import Foundation

/// The OpenAPI 3.1 description of the REST API (`GET /openapi.json`) and the page that renders it (`GET /docs`).
enum OpenAPI {
    static let document: String = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Flux REST API",
        "version": "1.0.0",
        "description": "Register workflow documents, run them (sync, async, or streamed as Server-Sent Events), pause, resume and cancel executions, read their events, and manage secrets. Errors are {\"error\": {\"code\", \"message\"}}. When security.auth_token is set, every route but /health, /ready, /openapi.json and /docs needs Authorization: Bearer <token> (reads too); the admin routes need security.admin_token, the worker routes their own tokens. A JSON body needs Content-Type: application/json (415 otherwise). Every route answers 403 to a foreign Origin and 421 to a Host that does not name the server (security.allowed_origins widens both)."
      },
      "servers": [{"url": "/"}],
      "tags": [
        {"name": "workflows", "description": "The catalog of workflow documents"},
        {"name": "executions", "description": "Running, resuming, cancelling and inspecting executions"},
        {"name": "admin", "description": "Secrets (needs security.encryption_key and security.admin_token)"},
        {"name": "workers", "description": "The worker protocol: remote workers register, listen, claim, checkpoint and heartbeat (docs/workers.md)"},
        {"name": "operations", "description": "Health, readiness, metrics and this description"}
      ],
      "paths": {
        "/workflows": {
          "get": {
            "tags": ["workflows"], "operationId": "listWorkflows", "summary": "List workflows (latest version of each)",
            "security": [{"bearer": []}, {}],
            "responses": {
              "200": {"description": "The workflows", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Workflow"}}}}},
              "default": {"$ref": "#/components/responses/Error"}
            }
          },
          "post": {
            "tags": ["workflows"], "operationId": "registerWorkflow",
            "summary": "Register a workflow document",
            "description": "Send the YAML or JSON document as a multipart/form-data field named file, or as the raw body with Content-Type application/yaml (also application/x-yaml, text/yaml, text/x-yaml) or application/json; any other type is 415. Each workflow in it is stored as a new version unless its content is unchanged. A document that requests secrets (secrets:) is registered only with security.admin_token as the bearer token (403 forbidden otherwise, and nothing is stored): a workflow that may use a secret can reveal it.",
            "security": [{"bearer": []}, {}],
            "parameters": [{"name": "filename", "in": "query", "required": false, "description": "The name shown in validation messages for a raw body", "schema": {"type": "string"}}],
            "requestBody": {
              "required": true,
              "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream"}}, "required": ["file"]}},
                "application/yaml": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}}
              }
            },
            "responses": {
              "200": {"description": "The registered workflows", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Workflow"}}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workflows/{name}": {
          "parameters": [{"$ref": "#/components/parameters/WorkflowName"}],
          "get": {
            "tags": ["workflows"], "operationId": "getWorkflow", "summary": "Show a workflow: document, versions, input schema, steps",
            "description": "The secrets a workflow requests (secrets), and the document that names them, are shown only to a request with security.admin_token as the bearer token.",
            "security": [{"bearer": []}, {}],
            "parameters": [{"$ref": "#/components/parameters/Version"}],
            "responses": {
              "200": {"description": "The workflow", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkflowDetails"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          },
          "delete": {
            "tags": ["workflows"], "operationId": "deleteWorkflow", "summary": "Delete every version of a workflow, or one",
            "security": [{"bearer": []}, {}],
            "parameters": [{"$ref": "#/components/parameters/Version"}],
            "responses": {
              "200": {"description": "How many versions went", "content": {"application/json": {"schema": {"type": "object", "properties": {"name": {"type": "string"}, "deleted_versions": {"type": "integer"}}, "required": ["name", "deleted_versions"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workflows/{name}/run/{mode}": {
          "parameters": [{"$ref": "#/components/parameters/WorkflowName"}, {"$ref": "#/components/parameters/Mode"}],
          "post": {
            "tags": ["executions"], "operationId": "runWorkflow",
            "summary": "Run a workflow",
            "description": "The body is the JSON input, sent with Content-Type application/json (an empty body is null and needs none; another type is 415). sync answers when the execution completes, fails, is cancelled or pauses; async answers 202 at once; stream answers with Server-Sent Events: a first {workflow}.execution.created frame, then one frame per recorded event ({workflow}.execution.{state} or task.{kind}), one line of JSON each, ending when the execution finishes or pauses.",
            "security": [{"bearer": []}, {}],
            "parameters": [{"$ref": "#/components/parameters/Detailed"}, {"$ref": "#/components/parameters/Version"}],
            "requestBody": {"required": false, "content": {"application/json": {"schema": {}}}},
            "responses": {
              "200": {"description": "The execution (sync), or its events (stream)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Execution"}}, "text/event-stream": {"schema": {"$ref": "#/components/schemas/ServerSentEvent"}}}},
              "202": {"description": "The execution, started in the background (async)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Execution"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workflows/{name}/resume/{execution_id}/{mode}": {
          "parameters": [{"$ref": "#/components/parameters/WorkflowName"}, {"$ref": "#/components/parameters/ExecutionID"}, {"$ref": "#/components/parameters/Mode"}],
          "post": {
            "tags": ["executions"], "operationId": "resumeExecution",
            "summary": "Resume a paused execution with the JSON body as input",
            "description": "Modes as for run. A stream opens with the {workflow}.execution.resuming frame. Resuming an execution that is not paused is 409. pause_id names the pause the input answers (an id of the execution's pauses): needed when it waits at several (409 without it, listing them), optional with one; 404 for an id it does not wait at.",
            "security": [{"bearer": []}, {}],
            "parameters": [{"$ref": "#/components/parameters/Detailed"}, {"name": "pause_id", "in": "query", "required": false, "schema": {"type": "string", "minLength": 1}, "description": "The pause the input answers."}],
            "requestBody": {"required": false, "content": {"application/json": {"schema": {}}}},
            "responses": {
              "200": {"description": "The execution (sync), or its events (stream)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Execution"}}, "text/event-stream": {"schema": {"$ref": "#/components/schemas/ServerSentEvent"}}}},
              "202": {"description": "The execution, resuming in the background (async)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Execution"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workflows/{name}/status/{execution_id}": {
          "parameters": [{"$ref": "#/components/parameters/WorkflowName"}, {"$ref": "#/components/parameters/ExecutionID"}],
          "get": {
            "tags": ["executions"], "operationId": "getExecutionStatus", "summary": "An execution's state and output",
            "security": [{"bearer": []}, {}],
            "parameters": [{"$ref": "#/components/parameters/Detailed"}],
            "responses": {
              "200": {"description": "The execution", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Execution"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workflows/{name}/cancel/{execution_id}": {
          "parameters": [{"$ref": "#/components/parameters/WorkflowName"}, {"$ref": "#/components/parameters/ExecutionID"}, {"$ref": "#/components/parameters/Detailed"}, {"$ref": "#/components/parameters/CancelMode"}],
          "post": {
            "tags": ["executions"], "operationId": "cancelExecution",
            "summary": "Cancel an execution",
            "description": "mode=sync waits until it has stopped (200); async returns at once (202). A finished execution is 409.",
            "security": [{"bearer": []}, {}],
            "responses": {
              "200": {"description": "Stopped (sync)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Execution"}}}},
              "202": {"description": "Cancellation requested (async)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Execution"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          },
          "get": {
            "tags": ["executions"], "operationId": "cancelExecutionGet",
            "summary": "Cancel an execution (the original's GET form)",
            "security": [{"bearer": []}, {}],
            "responses": {
              "200": {"description": "Stopped (sync)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Execution"}}}},
              "202": {"description": "Cancellation requested (async)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Execution"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/executions": {
          "get": {
            "tags": ["executions"], "operationId": "listExecutions", "summary": "A page of executions, newest first",
            "security": [{"bearer": []}, {}],
            "parameters": [
              {"name": "workflow_name", "in": "query", "required": false, "schema": {"type": "string"}},
              {"name": "state", "in": "query", "required": false, "schema": {"$ref": "#/components/schemas/State"}},
              {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}},
              {"name": "cursor", "in": "query", "required": false, "description": "next_cursor of the previous page (any other value is 400)", "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}}
            ],
            "responses": {
              "200": {"description": "The page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExecutionPage"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/executions/{execution_id}": {
          "parameters": [{"$ref": "#/components/parameters/ExecutionID"}],
          "get": {
            "tags": ["executions"], "operationId": "getExecution", "summary": "An execution, whatever its workflow",
            "security": [{"bearer": []}, {}],
            "parameters": [{"$ref": "#/components/parameters/Detailed"}],
            "responses": {
              "200": {"description": "The execution", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Execution"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/executions/{execution_id}/events": {
          "parameters": [{"$ref": "#/components/parameters/ExecutionID"}],
          "get": {
            "tags": ["executions"], "operationId": "listExecutionEvents", "summary": "The events of an execution after a sequence number",
            "security": [{"bearer": []}, {}],
            "parameters": [{"$ref": "#/components/parameters/After"}],
            "responses": {
              "200": {"description": "The events, in order", "content": {"application/json": {"schema": {"type": "object", "properties": {"execution_id": {"type": "string"}, "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}, "required": ["execution_id", "events"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/executions/{execution_id}/stream": {
          "parameters": [{"$ref": "#/components/parameters/ExecutionID"}],
          "get": {
            "tags": ["executions"], "operationId": "streamExecutionEvents",
            "summary": "Follow an execution's events as Server-Sent Events",
            "security": [{"bearer": []}, {}],
            "description": "From ?after= or the Last-Event-ID header (each frame's id is the event's sequence number), until the execution finishes or pauses.",
            "parameters": [{"$ref": "#/components/parameters/After"}],
            "responses": {
              "200": {"description": "The event stream", "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/ServerSentEvent"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/admin/secrets": {
          "get": {
            "tags": ["admin"], "operationId": "listSecrets", "summary": "Secret names (never values); with detailed=true, each with its grant",
            "security": [{"admin": []}],
            "parameters": [{"name": "detailed", "in": "query", "required": false, "description": "Answer [{name, workflows}] instead of names", "schema": {"type": "boolean"}}],
            "responses": {
              "200": {"description": "The names, or the names and grants", "content": {"application/json": {"schema": {"oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "array", "items": {"$ref": "#/components/schemas/SecretGrant"}}
              ]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          },
          "post": {
            "tags": ["admin"], "operationId": "setSecret", "summary": "Set a secret (encrypted at rest) and the workflows it is granted to",
            "description": "workflows: the names of the workflows that may use the secret, or null for any workflow; left out, a new secret is granted to any workflow and an existing one keeps its grant. value left out: only the grant changes (the secret must exist). A run of a workflow the secret is not granted to fails the step that asks for it.",
            "security": [{"admin": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"name": {"$ref": "#/components/schemas/SecretName"}, "value": {"type": "string", "minLength": 1}, "workflows": {"type": ["array", "null"], "items": {"type": "string"}, "minItems": 1, "maxItems": 1000}}, "required": ["name"]}}}},
            "responses": {
              "200": {"description": "Set", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/admin/secrets/{name}": {
          "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/SecretName"}}],
          "get": {
            "tags": ["admin"], "operationId": "getSecret", "summary": "A secret's value",
            "security": [{"admin": []}],
            "responses": {
              "200": {"description": "The secret", "content": {"application/json": {"schema": {"type": "object", "properties": {"name": {"type": "string"}, "value": {"type": "string"}}, "required": ["name", "value"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          },
          "delete": {
            "tags": ["admin"], "operationId": "deleteSecret", "summary": "Delete a secret",
            "security": [{"admin": []}],
            "responses": {
              "200": {"description": "Deleted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers": {
          "get": {
            "tags": ["workers"], "operationId": "listWorkers", "summary": "Registered workers, and the embedded executor when this server runs executions",
            "security": [{"bearer": []}, {}],
            "responses": {
              "200": {"description": "The workers", "content": {"application/json": {"schema": {"type": "object", "properties": {"workers": {"type": "array", "items": {"$ref": "#/components/schemas/Worker"}}, "count": {"type": "integer"}}, "required": ["workers", "count"]}}}},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/register": {
          "post": {
            "tags": ["workers"], "operationId": "registerWorker", "summary": "Register a worker (or register again: the session token rotates)",
            "description": "Needs Authorization: Bearer <workers.bootstrap_token> (403 for every request while none is configured). Swift workflows the worker lists join the catalog as kind swift. Answers the session token every other worker route needs; only its SHA-256 is stored.",
            "security": [{"bootstrap": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkerRegistration"}}}},
            "responses": {
              "200": {"description": "The session", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkerSession"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/{name}/connect": {
          "parameters": [{"$ref": "#/components/parameters/WorkerName"}],
          "get": {
            "tags": ["workers"], "operationId": "connectWorker", "summary": "The worker's event stream",
            "security": [{"workerSession": []}],
            "responses": {
              "200": {"description": "Server-Sent Events: connected, then execution_scheduled, execution_resumed and execution_cancelled frames (data: one line of JSON with execution_id, workflow_name, workflow_version, state and, for documents, the workflow), with : ping comments every workers.heartbeat_interval", "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/ServerSentEvent"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/{name}/claim/{execution_id}": {
          "parameters": [{"$ref": "#/components/parameters/WorkerName"}, {"$ref": "#/components/parameters/ExecutionID"}],
          "post": {
            "tags": ["workers"], "operationId": "claimExecution", "summary": "Claim an execution (atomic)",
            "description": "Succeeds only while the execution waits to run (CREATED, a resume request, or a holder whose lease lapsed) and the worker has what it needs; 409 otherwise. Every checkpoint must echo the claim_generation answered.",
            "security": [{"workerSession": []}],
            "responses": {
              "200": {"description": "The execution (with the new claim_generation), its events, and its workflow", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkerClaim"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/{name}/checkpoint/{execution_id}": {
          "parameters": [{"$ref": "#/components/parameters/WorkerName"}, {"$ref": "#/components/parameters/ExecutionID"}],
          "post": {
            "tags": ["workers"], "operationId": "checkpointExecution", "summary": "Append new events and state",
            "description": "Only from the worker holding the execution with its claim_generation (409 otherwise: stale or foreign claim). Events already stored are skipped, so a retry is harmless.",
            "security": [{"workerSession": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Checkpoint"}}}},
            "responses": {
              "200": {"description": "Stored", "content": {"application/json": {"schema": {"type": "object", "properties": {"applied": {"type": "boolean"}, "state": {"$ref": "#/components/schemas/State"}, "last_sequence": {"type": "integer"}}, "required": ["applied", "state", "last_sequence"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/{name}/children": {
          "parameters": [{"$ref": "#/components/parameters/WorkerName"}],
          "post": {
            "tags": ["workers"], "operationId": "placeChildExecution", "summary": "Where a child execution (a call step) of a workflow on this worker runs",
            "description": "here: the worker runs it (its engine creates it with POST /workers/{name}/executions if it does not exist); elsewhere: the server has queued it for a worker that meets its workflow's needs, and the caller waits for its end; refused: the call would pass executor.max_call_depth or executor.max_descendants (error says which) and fails. The child id must be the one the call derives, the worker must hold the parent, and a parent being cancelled starts no child (409).",
            "security": [{"workerSession": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"workflow": {"type": "string"}, "input": {}, "execution_id": {"type": "string"}, "parent_execution_id": {"type": "string"}, "task_id": {"type": "string"}}, "required": ["workflow", "execution_id", "parent_execution_id", "task_id"]}}}},
            "responses": {
              "200": {"description": "The placement", "content": {"application/json": {"schema": {"type": "object", "properties": {"placement": {"type": "string", "enum": ["here", "elsewhere", "refused"]}, "state": {"$ref": "#/components/schemas/State"}, "error": {"type": "object", "properties": {"setting": {"type": "string"}, "message": {"type": "string"}}}}, "required": ["placement"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/{name}/children/{execution_id}/cancel": {
          "parameters": [{"$ref": "#/components/parameters/WorkerName"}, {"$ref": "#/components/parameters/ExecutionID"}],
          "post": {
            "tags": ["workers"], "operationId": "cancelChildExecution", "summary": "Cancel a child execution with its parent",
            "description": "The worker's execution parent_execution_id is being cancelled while it waits for the child its call task_id placed on another worker. The execution id must be the one that call derives, and the worker must hold the parent (409 otherwise). A settled child is answered as it is.",
            "security": [{"workerSession": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"parent_execution_id": {"type": "string"}, "task_id": {"type": "string"}}, "required": ["parent_execution_id", "task_id"]}}}},
            "responses": {
              "200": {"description": "The child's state after the request", "content": {"application/json": {"schema": {"type": "object", "properties": {"execution_id": {"type": "string"}, "state": {"$ref": "#/components/schemas/State"}}, "required": ["execution_id", "state"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/{name}/executions": {
          "parameters": [{"$ref": "#/components/parameters/WorkerName"}],
          "post": {
            "tags": ["workers"], "operationId": "createChildExecution", "summary": "Record a child execution the worker runs itself",
            "description": "Held by the worker with the claim generation given (a settled child by nobody). 409 when the id exists or the worker cannot run the workflow.",
            "security": [{"workerSession": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"execution": {"$ref": "#/components/schemas/WireExecution"}, "events": {"type": "array", "items": {"$ref": "#/components/schemas/WireEvent"}}}, "required": ["execution"]}}}},
            "responses": {
              "201": {"description": "Created", "content": {"application/json": {"schema": {"type": "object", "properties": {"execution_id": {"type": "string"}, "state": {"$ref": "#/components/schemas/State"}, "claim_generation": {"type": "integer"}}, "required": ["execution_id", "state", "claim_generation"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/{name}/heartbeat": {
          "parameters": [{"$ref": "#/components/parameters/WorkerName"}],
          "post": {
            "tags": ["workers"], "operationId": "workerHeartbeat", "summary": "Renew the worker's leases; report in-flight executions and resources",
            "security": [{"workerSession": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"in_flight": {"type": "array", "items": {"type": "string"}}, "resources": {"type": "object"}}}}}},
            "responses": {
              "200": {"description": "The executions to cancel", "content": {"application/json": {"schema": {"type": "object", "properties": {"cancel": {"type": "array", "items": {"type": "string"}}, "lease_expires_at": {"type": "string", "format": "date-time"}, "heartbeat_interval": {"type": "number"}}, "required": ["cancel", "lease_expires_at", "heartbeat_interval"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/{name}/executions/{execution_id}": {
          "parameters": [{"$ref": "#/components/parameters/WorkerName"}, {"$ref": "#/components/parameters/ExecutionID"}],
          "get": {
            "tags": ["workers"], "operationId": "workerReadExecution", "summary": "An execution as the worker protocol carries it",
            "security": [{"workerSession": []}],
            "parameters": [{"name": "events", "in": "query", "required": false, "schema": {"type": "boolean", "default": false}}, {"$ref": "#/components/parameters/After"}],
            "responses": {
              "200": {"description": "The execution, and its events with ?events=true", "content": {"application/json": {"schema": {"type": "object", "properties": {"execution": {"$ref": "#/components/schemas/WireExecution"}, "events": {"type": "array", "items": {"$ref": "#/components/schemas/WireEvent"}}}, "required": ["execution"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/{name}/workflows/{workflow}": {
          "parameters": [{"$ref": "#/components/parameters/WorkerName"}, {"name": "workflow", "in": "path", "required": true, "schema": {"type": "string"}}],
          "get": {
            "tags": ["workers"], "operationId": "workerReadWorkflow", "summary": "A workflow version with its document",
            "security": [{"workerSession": []}],
            "parameters": [{"$ref": "#/components/parameters/Version"}],
            "responses": {
              "200": {"description": "The workflow", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WireWorkflow"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/{name}/cache/{key}": {
          "parameters": [{"$ref": "#/components/parameters/WorkerName"}, {"name": "key", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1, "maxLength": 256}}],
          "get": {
            "tags": ["workers"], "operationId": "workerReadCache", "summary": "A cached task result",
            "security": [{"workerSession": []}],
            "responses": {
              "200": {"description": "The value", "content": {"application/json": {"schema": {"type": "object", "properties": {"key": {"type": "string"}, "value": {}}, "required": ["key", "value"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          },
          "put": {
            "tags": ["workers"], "operationId": "workerWriteCache", "summary": "Cache a task result",
            "security": [{"workerSession": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"value": {}}, "required": ["value"]}}}},
            "responses": {
              "200": {"description": "Stored", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/workers/{name}/secrets": {
          "parameters": [{"$ref": "#/components/parameters/WorkerName"}],
          "post": {
            "tags": ["workers"], "operationId": "workerReadSecrets", "summary": "Secrets a task on the worker asks for",
            "description": "Only for an execution the worker holds, and only the secrets granted to its workflow (403 otherwise).",
            "security": [{"workerSession": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"names": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 1000}, "execution_id": {"type": "string"}}, "required": ["names", "execution_id"]}}}},
            "responses": {
              "200": {"description": "The values", "content": {"application/json": {"schema": {"type": "object", "properties": {"secrets": {"type": "object", "additionalProperties": {"type": "string"}}}, "required": ["secrets"]}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "403": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "default": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/health": {
          "get": {
            "tags": ["operations"], "operationId": "health", "summary": "Liveness",
            "responses": {"200": {"description": "Alive", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"const": "ok"}}, "required": ["status"]}}}}}
          }
        },
        "/ready": {
          "get": {
            "tags": ["operations"], "operationId": "ready", "summary": "Readiness: the store answers",
            "responses": {
              "200": {"description": "Ready", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"const": "ready"}}, "required": ["status"]}}}},
              "503": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/metrics": {
          "get": {
            "tags": ["operations"], "operationId": "metrics", "summary": "Prometheus metrics",
            "security": [{"bearer": []}, {}],
            "description": "flux_executions{state}, flux_execution_queue_depth, flux_executions_in_process, flux_client_executions_tracked, flux_open_event_streams, flux_tasks_total{outcome}, flux_task_duration_seconds, flux_http_requests_total{method,route,status}, flux_http_request_duration_seconds.",
            "responses": {"200": {"description": "Prometheus text exposition format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}}, "default": {"$ref": "#/components/responses/Error"}}
          }
        },
        "/openapi.json": {
          "get": {
            "tags": ["operations"], "operationId": "openapi", "summary": "This description",
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}
          }
        },
        "/docs": {
          "get": {
            "tags": ["operations"], "operationId": "docs", "summary": "This description as a page",
            "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}}
          }
        }
      },
      "components": {
        "securitySchemes": {
          "bearer": {"type": "http", "scheme": "bearer", "description": "security.auth_token; needed only when it is set"},
          "admin": {"type": "http", "scheme": "bearer", "description": "security.admin_token"},
          "bootstrap": {"type": "http", "scheme": "bearer", "description": "workers.bootstrap_token"},
          "workerSession": {"type": "http", "scheme": "bearer", "description": "The session_token POST /workers/register answered"}
        },
        "parameters": {
          "WorkflowName": {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
          "ExecutionID": {"name": "execution_id", "in": "path", "required": true, "schema": {"type": "string"}},
          "WorkerName": {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
          "Mode": {"name": "mode", "in": "path", "required": true, "schema": {"type": "string", "enum": ["sync", "async", "stream"]}},
          "CancelMode": {"name": "mode", "in": "query", "required": false, "schema": {"type": "string", "enum": ["sync", "async"], "default": "async"}},
          "Detailed": {"name": "detailed", "in": "query", "required": false, "description": "Include the events", "schema": {"type": "boolean", "default": false}},
          "Version": {"name": "version", "in": "query", "required": false, "description": "A version other than the latest", "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}},
          "After": {"name": "after", "in": "query", "required": false, "description": "Only events with a larger sequence number", "schema": {"type": "integer", "minimum": 0, "maximum": 9007199254740991, "default": 0}}
        },
        "responses": {
          "Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        },
        "schemas": {
          "Error": {
            "type": "object",
            "properties": {"error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}, "required": ["code", "message"]}},
            "required": ["error"]
          },
          "ServerSentEvent": {
            "description": "One frame of an event stream: event is {workflow}.execution.{state} or task.{kind}; data is one line of JSON; id is the event's sequence number (absent on the first frame of a run, which carries the new execution's summary).",
            "type": "object",
            "properties": {"event": {"type": "string"}, "data": {"type": "string", "contentMediaType": "application/json"}, "id": {"type": "string"}, "retry": {"type": "integer"}},
            "required": ["event", "data"]
          },
          "SecretName": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$"},
          "WorkerRegistration": {
            "type": "object",
            "properties": {
              "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"}, "incarnation": {"type": "string", "pattern": "^[A-Za-z0-9]{1,64}$"},
              "concurrency": {"type": "integer", "minimum": 1, "maximum": 10000}, "labels": {"type": "array", "items": {"type": "string"}},
              "workflows": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "version": {"type": "integer", "minimum": 1}, "description": {"type": "string"}, "input_schema": {"type": ["object", "null"]}, "requests": {"type": ["object", "null"], "description": "What the workflow asks of a worker: cpu, memory, disk, gpu, labels (see docs/workflow-format.md)"}}, "required": ["name"]}},
              "tasks": {"type": "array", "items": {"type": "string"}}, "runtime": {"type": "object"}, "resources": {"type": "object"}
            },
            "required": ["name"]
          },
          "WorkerSession": {
            "type": "object",
            "properties": {
              "name": {"type": "string"}, "incarnation": {"type": "string"}, "owner": {"type": "string"}, "session_token": {"type": "string"},
              "heartbeat_interval": {"type": "number"}, "lease_timeout": {"type": "number"}, "registered_at": {"type": "string", "format": "date-time"}
            },
            "required": ["name", "incarnation", "owner", "session_token", "heartbeat_interval", "lease_timeout", "registered_at"]
          },
          "Worker": {
            "type": "object",
            "properties": {
              "name": {"type": "string"}, "kind": {"type": "string", "enum": ["embedded", "remote"]}, "connected": {"type": "boolean"},
              "executions_running": {"type": "integer"}, "running_execution_ids": {"type": "array", "items": {"type": "string"}},
              "concurrency": {}, "labels": {}, "workflows": {}, "tasks": {}, "runtime": {}, "resources": {}
            },
            "required": ["name", "kind", "connected", "executions_running", "running_execution_ids"]
          },
          "WireExecution": {
            "type": "object",
            "properties": {
              "execution_id": {"type": "string"}, "workflow_name": {"type": "string"}, "workflow_version": {"type": "integer"},
              "state": {"$ref": "#/components/schemas/State"}, "input": {}, "output": {}, "owner": {"type": ["string", "null"]},
              "claim_generation": {"type": "integer"}, "lease_expires_at": {"type": ["number", "null"]}, "last_sequence": {"type": "integer"},
              "created_at": {"type": "number"}, "updated_at": {"type": "number"}
            },
            "required": ["execution_id", "workflow_name", "workflow_version", "state", "claim_generation", "last_sequence"]
          },
          "WireEvent": {
            "type": "object",
            "properties": {
              "id": {"type": "string"}, "type": {"type": "string"}, "source_id": {"type": "string"}, "name": {"type": "string"},
              "value": {}, "time": {"type": "number", "description": "Unix seconds"}, "sequence": {"type": "integer", "minimum": 1}
            },
            "required": ["id", "type", "source_id", "name", "time", "sequence"]
          },
          "WireWorkflow": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "version": {"type": "integer"}, "kind": {"type": "string", "enum": ["document", "swift"]}, "source": {"type": "string"}},
            "required": ["name", "version", "kind", "source"]
          },
          "WorkerClaim": {
            "type": "object",
            "properties": {
              "execution": {"$ref": "#/components/schemas/WireExecution"}, "events": {"type": "array", "items": {"$ref": "#/components/schemas/WireEvent"}},
              "claim_generation": {"type": "integer"}, "workflow": {"$ref": "#/components/schemas/WireWorkflow"}
            },
            "required": ["execution", "events", "claim_generation"]
          },
          "Checkpoint": {
            "type": "object",
            "properties": {
              "claim_generation": {"type": "integer"}, "events": {"type": "array", "items": {"$ref": "#/components/schemas/WireEvent"}},
              "state": {"$ref": "#/components/schemas/State"}, "output": {}, "release": {"type": "boolean"},
              "expected_states": {"type": "array", "items": {"$ref": "#/components/schemas/State"}}
            },
            "required": ["claim_generation"]
          },
          "Status": {"type": "object", "properties": {"status": {"type": "string"}, "message": {"type": "string"}}, "required": ["status", "message"]},
          "State": {"type": "string", "enum": ["CREATED", "SCHEDULED", "CLAIMED", "RUNNING", "PAUSED", "RESUMING", "COMPLETED", "FAILED", "CANCELLING", "CANCELLED"]},
          "Workflow": {
            "type": "object",
            "properties": {
              "name": {"type": "string"}, "version": {"type": "integer"}, "kind": {"type": "string", "enum": ["document", "swift"]},
              "description": {"type": "string"}, "input_schema": {}, "created_at": {"type": "string", "format": "date-time"}
            },
            "required": ["name", "version", "kind", "description", "created_at"]
          },
          "SecretGrant": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "workflows": {"type": ["array", "null"], "items": {"type": "string"}, "description": "null: any workflow"}},
            "required": ["name", "workflows"]
          },
          "WorkflowDetails": {
            "allOf": [{"$ref": "#/components/schemas/Workflow"}],
            "type": "object",
            "properties": {
              "versions": {"type": "array", "items": {"type": "integer"}},
              "document": {"type": "string", "description": "Left out for a caller without security.admin_token when the document requests secrets"},
              "steps": {"type": "array", "items": {"type": "string"}},
              "secrets": {"type": "array", "items": {"type": "string"}, "description": "Shown only to a caller with security.admin_token"}
            },
            "required": ["versions"]
          },
          "Event": {
            "type": "object",
            "properties": {
              "id": {"type": "string"}, "type": {"type": "string"}, "source_id": {"type": "string"}, "name": {"type": "string"},
              "value": {}, "time": {"type": "string", "format": "date-time"}, "sequence": {"type": "integer"}
            },
            "required": ["id", "type", "source_id", "name", "time", "sequence"]
          },
          "ExecutionRow": {
            "type": "object",
            "properties": {
              "execution_id": {"type": "string"}, "workflow_name": {"type": "string"}, "workflow_version": {"type": "integer"},
              "state": {"$ref": "#/components/schemas/State"}, "input": {}, "output": {},
              "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}
            },
            "required": ["execution_id", "workflow_name", "workflow_version", "state", "created_at", "updated_at"]
          },
          "Execution": {
            "allOf": [{"$ref": "#/components/schemas/ExecutionRow"}],
            "type": "object",
            "properties": {
              "pause": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "output": {}, "input": {"description": "The JSON Schema of the resume input, or null."}}},
              "pauses": {"type": "array", "description": "Every pause a PAUSED execution waits at.", "items": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "output": {}, "input": {"description": "The JSON Schema of the resume input, or null."}, "path": {"type": ["string", "null"]}}, "required": ["id", "name", "output", "input", "path"]}},
              "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}
            }
          },
          "ExecutionPage": {
            "type": "object",
            "properties": {
              "executions": {"type": "array", "items": {"$ref": "#/components/schemas/ExecutionRow"}},
              "next_cursor": {"type": ["string", "null"]}
            },
            "required": ["executions", "next_cursor"]
          }
        }
      }
    }
    """#
}
